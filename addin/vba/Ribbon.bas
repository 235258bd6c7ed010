Attribute VB_Name = "RibbonMyAddin"
' Ribbon callbacks of the taizhang Excel add-in (taizhang.xlam).
'
' Every button in customUI/customUI.xml has onAction="RibbonMyAddin.RunTagged" and a
' tag (validate, clear, split, merge, rollup, settings, help).  RunTagged hands that
' tag to Python through xlwings' RunPython, so adding a button only needs a new
' <button> element and a Python handler; the VBA stays the same.
'
' The module keeps the name of the xlwings template module it replaces
' (RibbonMyAddin).  Keep this file ASCII: VBA source is stored in the project's
' code page (Windows-1252), so Chinese text belongs in customUI.xml or in Python.
Option Explicit

Sub RunTagged(control As IRibbonControl)
    RunPython "from taizhang import addin; addin.ribbon_dispatch('" & control.Tag & "')"
End Sub
