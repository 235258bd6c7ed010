"""The desktop add-in builder (addin/xlam.py), checked without Excel."""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path, PurePosixPath

import olefile
import pytest
from defusedxml.ElementTree import fromstring
from oletools.olevba import VBA_Parser

from taizhang.addin import xlam
from taizhang.addin.ovba import decompress

ROOT = Path(__file__).resolve().parents[1]
NS = {
    "ui": xlam.CUSTOM_UI_NS,
    "ct": "http://schemas.openxmlformats.org/package/2006/content-types",
    "rel": "http://schemas.openxmlformats.org/package/2006/relationships",
}
CUSTOM_UI_REL = "http://schemas.microsoft.com/office/2006/relationships/ui/extensibility"
BUTTONS = {
    "validate": "校验",
    "clear": "清除标记",
    "split": "分发",
    "merge": "合并报送",
    "rollup": "汇总",
    "settings": "设置",
    "help": "帮助",
}
DISPATCH = """RunPython "from taizhang import addin; addin.ribbon_dispatch('" & control.Tag & "')\""""


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if importlib.util.find_spec("xlwings") is None:
        pytest.skip("xlwings (the add-in template) is not installed")
    return xlam.build_xlam(tmp_path_factory.mktemp("xlam"))


def vba_modules(path: Path) -> dict[str, str]:
    parser = VBA_Parser(str(path))
    try:
        assert parser.detect_vba_macros()
        return {PurePosixPath(name).stem: code for _, _, name, code in parser.extract_macros()}
    finally:
        parser.close()


def streams(vba_project: bytes) -> dict[str, bytes]:
    with olefile.OleFileIO(vba_project, raise_defects=olefile.DEFECT_INCORRECT) as ole:
        return {"/".join(p): ole.openstream(p).read() for p in ole.listdir()}


_BLOCK_START = re.compile(r"(?:(?:Public|Private|Friend)\s+)?(?:Static\s+)?(Sub|Function|Property)\b")
_BLOCK_END = re.compile(r"End\s+(Sub|Function|Property)\b")


def check_vba_text(code: str) -> None:
    """Cheap structural check that VBA source is well formed as text.

    Quotes must pair up on every code line, and Sub/Function/Property blocks must
    nest and close.  Of every ``#If`` only the first branch is read, because the
    other branches often repeat a procedure header with another signature.
    """
    opened: list[str] = []
    skipping: list[bool] = []  # one entry per open #If: inside a later branch?
    for number, line in enumerate(code.splitlines(), 1):
        stripped = line.strip()
        directive = stripped.split(" ", 1)[0].lower()
        if directive == "#if":
            skipping.append(False)
            continue
        if directive in ("#else", "#elseif"):
            skipping[-1] = True
            continue
        if stripped.lower().startswith("#end if"):
            skipping.pop()
            continue
        if any(skipping) or not stripped or stripped.startswith(("'", "Attribute ", "Rem ", "#")):
            continue
        without_strings = re.sub(r'"[^"]*"', "", stripped)
        code_part = without_strings.split("'", 1)[0]
        assert code_part.count('"') == 0, f"unbalanced quotes in line {number}: {line}"
        if end := _BLOCK_END.match(code_part):
            assert opened and opened.pop() == end.group(1), f"unmatched {code_part!r} in line {number}"
        elif start := _BLOCK_START.match(code_part):
            opened.append(start.group(1))
    assert not opened, f"unclosed {opened}"


# --------------------------------------------------------------------------- package


def test_output_is_a_valid_ooxml_package(built: Path) -> None:
    assert built.name == "taizhang.xlam"
    with zipfile.ZipFile(built) as z:
        assert z.testzip() is None
        names = set(z.namelist())
        content_types = fromstring(z.read("[Content_Types].xml"))
        rels = fromstring(z.read("_rels/.rels"))
    overrides = {o.get("PartName"): o.get("ContentType") for o in content_types.findall("ct:Override", NS)}
    defaults = {d.get("Extension"): d.get("ContentType") for d in content_types.findall("ct:Default", NS)}
    assert overrides["/xl/workbook.xml"] == "application/vnd.ms-excel.addin.macroEnabled.main+xml"
    assert overrides["/xl/vbaProject.bin"] == "application/vnd.ms-office.vbaProject"
    assert defaults["xml"] and defaults["rels"]
    for part in overrides:
        assert part.lstrip("/") in names, f"content type for missing part {part}"
    for name in names:  # every part has a content type
        assert "/" + name in overrides or name.rsplit(".", 1)[-1] in defaults or name == "[Content_Types].xml"
    targets = {r.get("Type"): r.get("Target") for r in rels.findall("rel:Relationship", NS)}
    assert targets[CUSTOM_UI_REL] == "customUI/customUI.xml"
    # the 2007 type is for the customUI14 schema: with it, Office would not read this 2006 ribbon as meant
    assert "http://schemas.microsoft.com/office/2007/relationships/ui/extensibility" not in targets
    assert all(t.lstrip("/") in names for t in targets.values())


def test_build_is_deterministic(built: Path, tmp_path: Path) -> None:
    again = xlam.build_xlam(tmp_path / "again")
    assert again.read_bytes() == built.read_bytes()


# --------------------------------------------------------------------------- ribbon


def test_custom_ui_names_every_button_with_label_and_callback(built: Path) -> None:
    with zipfile.ZipFile(built) as z:
        root = fromstring(z.read("customUI/customUI.xml"))
    assert root.tag == f"{{{xlam.CUSTOM_UI_NS}}}customUI"
    tabs = root.findall(".//ui:tab", NS)
    assert [t.get("label") for t in tabs] == ["台账"]
    buttons = root.findall(".//ui:button", NS)
    assert {b.get("tag"): b.get("label") for b in buttons} == BUTTONS
    assert len(buttons) == len(BUTTONS) == len({b.get("id") for b in buttons})
    modules = vba_modules(built)
    for button in buttons:
        assert button.get("imageMso") or button.get("image")
        assert re.search(r"[\u4e00-\u9fff]", button.get("screentip", "")), button.get("id")
        module, sub = button.get("onAction").split(".")
        assert module in modules, f"onAction names missing module {module}"
        assert sub in xlam.vba_callbacks(modules[module]), f"no Sub {sub}(control As IRibbonControl)"
    assert {b.get("onAction") for b in buttons} == {"RibbonMyAddin.RunTagged"}  # one callback


def test_ribbon_buttons_helper_reads_the_source_xml() -> None:
    buttons = xlam.ribbon_buttons(xlam.CUSTOM_UI_SOURCE.read_bytes())
    assert [b.tag for b in buttons] == list(BUTTONS)
    assert all(b.screentip and b.image_mso for b in buttons)


# --------------------------------------------------------------------------- VBA


def test_vba_reads_back_with_runpython_tag_dispatch(built: Path) -> None:
    modules = vba_modules(built)
    ribbon = modules["RibbonMyAddin"]
    assert "RunPython" in ribbon and "control.Tag" in ribbon
    assert DISPATCH in ribbon
    assert xlam.vba_callbacks(ribbon) == {"RunTagged"}
    source = xlam.RIBBON_VBA_SOURCE.read_text(encoding="utf-8")
    assert ribbon.replace("\r\n", "\n").strip() == source.strip()
    for code in modules.values():
        check_vba_text(code)


def test_vba_answers_a_click_without_workbook_in_chinese_before_python(built: Path) -> None:
    """xlwings' RunPython fails on ActiveWorkbook (error 91) with no workbook open: RunTagged checks first."""
    ribbon = vba_modules(built)["RibbonMyAddin"].replace("\r\n", "\n")
    ribbon.encode("ascii")  # the project's code page cannot carry Chinese: the source stays ASCII
    body = ribbon[ribbon.index("Sub RunTagged"):ribbon.index("End Sub")]
    guard = body.index("If ActiveWorkbook Is Nothing Then")
    assert guard < body.index("RunPython \"")
    assert "MsgBox U(NO_WORKBOOK), vbExclamation, U(TITLE)" in body[guard:] and "Exit Sub" in body[guard:]
    consts = dict(re.findall(r'Private Const (\w+) As String = "([0-9A-F ]+)"', ribbon))

    def decoded(codes: str) -> str:  # what U() builds with ChrW at run time
        return "".join(chr(int(h, 16)) for h in codes.split())

    assert decoded(consts["NO_WORKBOOK"]) == "请先打开台账工作簿，再点击按钮。"
    assert decoded(consts["TITLE"]) == "台账"
    assert 'U = U & ChrW(CLng("&H" & part & "&"))' in ribbon


def test_other_modules_are_untouched_and_project_name_is_taizhang(built: Path) -> None:
    template = xlam.find_template()
    old, new = vba_modules(template), vba_modules(built)
    assert set(old) == set(new)
    for name in set(old) - {"RibbonMyAddin", "xlwings"}:
        assert new[name] == old[name], name
    assert 'Public Const PROJECT_NAME As String = "taizhang"' in new["xlwings"]
    assert new["xlwings"].replace('"taizhang"', '"myaddin"', 1) == old["xlwings"]
    with zipfile.ZipFile(built) as z:
        assert b'name="_taizhang.conf"' in z.read("xl/workbook.xml")


def test_changed_modules_are_source_only(built: Path) -> None:
    with zipfile.ZipFile(built) as z:
        new = streams(z.read("xl/vbaProject.bin"))
    with zipfile.ZipFile(xlam.find_template()) as z:
        old = streams(z.read("xl/vbaProject.bin"))
    assert set(new) == set(old)
    assert sorted(k for k in old if old[k] != new[k]) == ["VBA/RibbonMyAddin", "VBA/dir", "VBA/xlwings"]
    assert new["VBA/_VBA_PROJECT"][2:4] == b"\xff\xff"  # no p-code cache: Excel compiles source
    _, modules = xlam._parse_dir(decompress(new["VBA/dir"]))
    assert modules["RibbonMyAddin"].offset == 0 and modules["xlwings"].offset == 0
    assert decompress(new["VBA/RibbonMyAddin"]).startswith(b'Attribute VB_Name = "RibbonMyAddin"\r\n')


def test_compound_file_writer_roundtrips_through_olefile() -> None:
    data = {
        "PROJECT": b"ID=1\r\n",
        "VBA/dir": bytes(range(256)) * 20,  # regular sectors
        "VBA/small": b"x" * 100,  # mini stream
        "VBA/empty": b"",
        "A/B/deep": b"deep" * 2000,
    }
    data.update({f"VBA/m{i:02d}": bytes([i]) * (i * 97) for i in range(1, 40)})
    blob = xlam.write_compound_file(data)
    assert streams(blob) == data
    assert xlam.write_compound_file(data) == blob


# --------------------------------------------------------------------------- guards


def test_check_ribbon_rejects_callback_that_vba_lacks() -> None:
    source = xlam.CUSTOM_UI_SOURCE.read_bytes()
    xml = source.replace(b'onAction="RibbonMyAddin.RunTagged"', b'onAction="RibbonMyAddin.Nope"', 1)
    with pytest.raises(ValueError, match="Nope"):
        xlam._check_ribbon(xml, xlam.RIBBON_VBA_SOURCE.read_text(encoding="utf-8"))


def test_vba_source_must_fit_the_project_code_page() -> None:
    with pytest.raises(ValueError, match="代码页"):
        xlam._vba_bytes('MsgBox "校验完成"', 1252)


def test_importing_and_building_does_not_import_xlwings(tmp_path: Path) -> None:
    code = (
        "import sys; sys.modules['xlwings'] = None\n"  # any `import xlwings` would now fail
        "import taizhang.addin.xlam\n"
        "print('imported')\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    code = (
        "import sys; from pathlib import Path; from taizhang.addin.xlam import build_xlam\n"
        f"build_xlam(Path({str(tmp_path)!r}))\n"
        "assert 'xlwings' not in sys.modules, 'build imported xlwings'\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


# --------------------------------------------------------------------------- install


# --------------------------------------------------------------------------- optional


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice not installed")
def test_libreoffice_imports_the_vba(built: Path, tmp_path: Path) -> None:
    """An independent reader (LibreOffice's C++ CFB + VBA importer) sees the new code."""
    source = tmp_path / "taizhang.xlsm"  # LibreOffice won't open the .xlam extension
    shutil.copyfile(built, source)
    subprocess.run(
        [
            "soffice",
            "--headless",
            f"-env:UserInstallation=file://{tmp_path}/profile",
            "--infilter=Calc MS Excel 2007 VBA XML",
            "--convert-to",
            "ods",
            "--outdir",
            str(tmp_path),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    with zipfile.ZipFile(tmp_path / "taizhang.ods") as z:
        ribbon = z.read("Basic/MyAddin/RibbonMyAddin.xml").decode()
        content = z.read("content.xml").decode()
    assert "Sub RunTagged(control As IRibbonControl)" in ribbon
    assert "addin.ribbon_dispatch(" in ribbon
    assert 'table:name="_taizhang.conf"' in content
