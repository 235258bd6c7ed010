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
' code page (Windows-1252), so Chinese text is written as UTF-16 code points that
' U() turns into a string at run time (U("53F0 8D26") is the tab's name).
Option Explicit

' "Open the ledger workbook first, then click the button." / the tab's name
Private Const NO_WORKBOOK As String = "8BF7 5148 6253 5F00 53F0 8D26 5DE5 4F5C 7C3F FF0C 518D 70B9 51FB 6309 94AE 3002"
Private Const TITLE As String = "53F0 8D26"

Sub RunTagged(control As IRibbonControl)
    ' xlwings' RunPython reads ActiveWorkbook before Python starts: with no workbook
    ' open that is run-time error 91, so this case is answered here, in VBA.
    If ActiveWorkbook Is Nothing Then
        MsgBox U(NO_WORKBOOK), vbExclamation, U(TITLE)
        Exit Sub
    End If
    RunPython "from taizhang import addin; addin.ribbon_dispatch('" & control.Tag & "')"
End Sub

' Text from space-separated hexadecimal UTF-16 code points (the trailing & makes it a Long).
Private Function U(ByVal codes As String) As String
    Dim part As Variant
    For Each part In Split(codes, " ")
        U = U & ChrW(CLng("&H" & part & "&"))
    Next part
End Function
