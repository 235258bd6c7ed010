"""A corpus of ledgers of the kinds offices keep beyond reform ledgers, with planted faults.

Each case is modelled on a public document of another city or county, found with the project's
search tool (corpus "pages"); its URL and title are in `source`. The rows paraphrase what such a
document lists (problems found by an audit, 民生实事 projects, key projects, 督办 and 交办 items);
names of people and phone numbers are invented. Every case states, before any code runs on it,
the type or profile it must be read as and the exact findings it must give: (code, cell) for
each planted fault, nothing else. tests/test_corpus.py builds each case as a real .xlsx and
asserts exactly these findings.

    python tests/corpus/build_corpus.py OUT_DIR     # write the .xlsx files to look at them
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Case:
    name: str
    place: str  # the city or county the source document comes from
    source: str  # URL — title of the public document the ledger is modelled on
    title: str  # row 1 of the sheet
    header: tuple[str, ...]  # row 2
    rows: tuple[tuple, ...]  # from row 3; None = empty cell
    expected_type: str  # built-in type name or "generic"
    expected: tuple[tuple[str, str], ...]  # (code, cell), sorted by row then column
    merges: tuple[str, ...] = ()  # A1 ranges merged over a task's sub-items
    sheet: str = "Sheet1"
    notes: dict = field(default_factory=dict)


CASES: tuple[Case, ...] = (
    Case(
        "cixi_audit_rectification", "慈溪市",
        "https://cixird.gov.cn/index.php/home/content?id=1532529 — 慈溪市2017年度本级预算执行和其他财政收支审计查出问题整改情况的报告",
        "慈溪市2018年审计查出问题整改台账",
        ("序号", "存在问题", "整改目标", "整改措施", "责任单位", "责任人", "整改时限", "整改进展"),
        (
            (1, "部分镇（街道）往来款项长期挂账未清理", "往来款项清理到位", "逐笔核对，清理往来款项", "逍林镇", "陈国庆", "2018年12月底", "已清理15笔"),
            (2, "议事决策制度不健全", "建立议事决策制度", "出台议事决策制度", "胜山镇", "沈丽华", "13月底", "已出台"),
            (3, "工程转包问题", "杜绝转包", "开展专项自查，即查即改", "市水务集团", None, "2018年11月30日", "正在自查"),
            (4, "用地款未及时收缴", "收缴用地款", "持续整改", "附海镇", "胡建明", "持续推进", "已收缴1.05亿元"),
        ),
        "rectification",
        # 13月底 does not exist; 责任人 empty; no phone column: no missing-phone on any row; the four
        # towns and companies are in no registry: one no-unit-registry, no unknown-unit per cell
        (("no-unit-registry", "E2"), ("invalid-deadline", "G4"), ("missing-value", "F5")),
    ),
    Case(
        "ningbo_audit_rectification", "宁波市",
        "http://sjj.ningbo.gov.cn/art/2023/1/6/art_1229055570_58921710.html — 宁波市审计局关于2021年度宁波市本级预算执行和全市其他财政收支审计工作报告反映问题整改情况的报告",
        "2022年审计工作报告反映问题整改台账",
        ("序号", "问题清单", "整改措施", "整改责任单位", "责任人", "联系电话", "整改期限", "整改情况"),
        (
            (1, "重大审计问题清单推进不及时", "建立市政府分管领导分工负责推进机制", "市审计局", "王海燕", "0574-87186543", "2022年6月底前", "已建立机制"),
            (2, "部分专项资金绩效目标不明确", "细化绩效目标，完善评价", "市财政局", "周志刚", "0574-8718", "2022年9月30日", "正在修订"),
            (3, "区县属地管理责任落实不到位", "制订整改方案和计划", "海曙区政府", "李晓东", "13805741234", "2022年2月30日", None),
            (4, "审计整改结果运用不够", "纳入年度考核", "市审计局", None, "0574-87186520", "2022年12月底", "推进中"),
        ),
        "rectification",
        # 0574-8718 is too short; 2月30日 does not exist; with a phone column the 责任人 is the contact:
        # an empty one is missing-contact; three units, none in a registry
        (("no-unit-registry", "D2"), ("invalid-phone", "F4"), ("invalid-deadline", "G5"), ("missing-contact", "E6")),
    ),
    Case(
        "ruijin_audit_rectification", "瑞金市",
        "http://www.ruijin.gov.cn/rjsxxgk/rjin80885/202211/4b9971a0f2914baa97d9707b3c846fd6.shtml — 关于2020年度市本级预算执行和其他财政收支审计查出问题整改情况的报告",
        "瑞金市2021年度审计查出问题整改台账",
        ("序号", "审计查出问题", "整改责任单位", "整改责任人", "整改完成时限", "整改情况", "备注"),
        (
            (1, "财政部门预算执行问题：统筹盘活存量资金不及时", "市财政局", "刘春生", "2021年6月31日", "部分整改", None),
            (2, "自然资源局土地出让收入未及时缴库", None, "钟小平", "2021年12月底", "已整改", None),
            (3, "项目资金归还原资金渠道", "市自然资源局", "杨文华", "2021年10月底", "已归还1580万元", "问题资金"),
            (4, "规章制度不健全", "市财政局", "刘春生", "长期坚持", "出台13个规章制度", None),
        ),
        "rectification",
        # 6月31日 does not exist; a problem with no responsible unit; 备注 left alone
        (("no-unit-registry", "C2"), ("invalid-deadline", "E3"), ("missing-unit", "C4")),
    ),
    Case(
        "mianyang_livelihood", "绵阳市",
        "http://niudev.com/html/2023/news/3/344372.html — 快看！2023年市级民生实事清单（绵阳市6类22件）",
        "绵阳市2023年市级民生实事项目推进台账",
        ("序号", "类别", "实事项目", "建设内容及目标", "计划投资（万元）", "责任单位", "完成时限", "进展情况"),
        (
            (1, "城建综合治理类", "科技城第二水源开茂水库水厂及配套管网", "建设日供水30万吨净水厂及约25公里输水管道", 86000, "市住房和城乡建设委、水务集团", "2023年12月底", "管道已铺设12公里"),
            (2, "城建综合治理类", "火车站站前广场及周边配套设施", "新建临园路下穿通道，改建站前广场", "约5000", "市住房和城乡建设委、交发集团", "2023年13月", "正在施工"),
            (3, "基础教育建设类", "新建公办幼儿园", "新建公办幼儿园5所", 12000, "市教育和体育局", "2023年9月", None),
            (4, "医疗社会保障类", "城乡居民两癌筛查", "完成适龄妇女两癌筛查2万人", 300.5, "市卫生健康委", "2023年11月底", "已筛查8000人"),
        ),
        "livelihood",
        # 约5000 is not a number; 13月 does not exist. 市卫生健康委 is a Dalian name in the built-in
        # registry; the other four units are unknown: most of five, so one no-unit-registry
        (("no-unit-registry", "F2"), ("invalid-amount", "E4"), ("invalid-deadline", "G4")),
    ),
    Case(
        "ninghai_livelihood", "宁海县",
        "http://nh.cnnb.com.cn/system/2021/01/23/012194244.shtml — 人大代表票决确定2021年10项民生实事项目（宁海新闻网）",
        "宁海县2021年民生实事项目台账",
        ("序号", "项目名称", "主要内容", "总投资（万元）", "牵头单位", "计划完成时间", "推进情况"),
        (
            (1, "公共卫生能力提升工程", "建设县疾控中心实验室，提升核酸检测能力", 3200, "县卫健局", "2021年10月底", "主体完工"),
            (2, "城西幼儿园工程", None, 6800, "县教育局", "2021年8月底", "正在装修"),
            (3, "菜市场提升改造工程", "改造提升菜市场6家", "1.2亿元", "县市场监管局", "2021年12月底", "已完成3家"),
            (4, "困难老人家庭适老化改造工程", "完成困难老人家庭适老化改造300户", 450, "县民政局", "2021年11月底", "已改造120户"),
        ),
        "livelihood",
        # 建设内容 empty; 1.2亿元 is another unit than the column's 万元. (First written expecting a
        # no-unit-registry too; the run showed 县卫健局, 县教育局, 县市场监管局, 县民政局 are all names the
        # built-in 梨树县 registry lists, so no unit finding at all is right. Recorded in issue 20.)
        (("missing-value", "C4"), ("invalid-amount", "D5")),
    ),
    Case(
        "nanchang_livelihood", "南昌市",
        "http://www.ycahj.com/a/nanchangxinwen/2020/0512/229269.html — 筹集资金550亿元以上 南昌市十大民生实事项目票决结果公布",
        "南昌市2020年度民生实事项目推进台账",
        ("序号", "民生实事", "目标任务", "责任单位", "配合单位", "完成时限", "进展情况"),
        (
            (1, "老旧小区改造工程", "18个老旧小区综合改造，229个老旧小区微改造", "市住房城乡建设局", "各县区政府", "2020年12月底", "已开工15个"),
            (2, "老旧燃气管网改造工程", "改造老旧燃气管网铸铁管58公里", "市城管执法局", "市燃气集团", "9月32日", "已改造20公里"),
            (3, "新增公交线路及更换车辆", "新增公交线路1条，更换车辆85台", "市交通运输局", "市公交集团", "2020年6月底", "已完成"),
            (4, "“厕所革命”行动", "主城区新建公厕326座、改造64座", "市城管执法局", None, "2020年12月底", "新建公厕150座"),
        ),
        "livelihood",
        # 9月32日 does not exist; 配合单位 (a column the type lacks) is still checked as units
        (("no-unit-registry", "D2"), ("invalid-deadline", "F4")),
    ),
    Case(
        "hanzhong_projects", "汉中市",
        "http://www.hanzhong.gov.cn/hzszf/zwgk/zdjsxm/201809/t20180919_538245.shtml — 我市前八月重点项目建设高歌猛进（汉中市人民政府）",
        "汉中市2018年市级重点项目推进台账",
        ("序号", "项目名称", "建设内容及规模", "总投资（万元）", "年度计划投资（万元）", "累计完成投资（万元）", "责任单位",
         "责任人", "计划完成时间", "形象进度"),
        (
            (1, "汉江综合整治二期", "堤防加固12公里", 185000, 42000, 30500, "市水利局", "赵建军", "2018年12月底", "完成堤防8公里"),
            (2, "中心医院门诊综合楼", "建筑面积4.2万平方米", 36000, 12000, "待定", "市卫计局", "马红梅", "2019年6月底", "主体封顶"),
            (2, "兴汉新区综合管廊", "管廊7.5公里", 98000, 20000, 14600, "兴汉新区管委会", "孙立新", "2018年12月底", "已完成4公里"),
            (4, "汉中机场改扩建", "新建航站楼1.2万平方米", 52000, 15000, 9800, "市交通局", None, "2019年12月底", "航站楼基础施工"),
        ),
        "project-progress",
        # 待定 is not an amount; key 2 used twice (and 4 follows 2: the skipped 3 is the same slip);
        # 责任人 empty (in this type the responsible person is optional: no finding)
        (("no-unit-registry", "G2"), ("invalid-amount", "F4"), ("duplicate-key", "A5"), ("key-sequence", "A6")),
    ),
    Case(
        "tongliang_projects", "铜梁区",
        "https://m.bidcenter.com.cn/news-17-313882037.html — 铜梁区2024年重点建设项目1-9月推进情况快报",
        "铜梁区2024年重点建设项目推进台账",
        ("序号", "项目名称", "建设内容", "总投资(万元)", "年度计划投资(万元)", "实施单位", "计划竣工时间", "项目进展"),
        (
            (1, "汽车及工程机械精密零部件生产项目", "新建生产厂房及配套设施", 45000, 18000, "区经济信息委", "2024年10月底", "已竣工投产"),
            (2, "电池用铝箔生产基地", "年产铝箔5万吨", None, 26000, "区经济信息委", "2025年6月底", "设备安装"),
            (3, "分布式能源（燃机发电热电联产）", "前期工作", 60000, 5000, "区发展改革委", "2024年2月30日", "可研编制中"),
            (4, "城区排水管网提质增效", "改造排水管网26公里", 23000, 9000, "区住房城乡建委", "2024年12月底", "已改造11公里"),
        ),
        "project-progress",
        # 总投资 is required in a project ledger; 2月30日 does not exist
        (("no-unit-registry", "F2"), ("missing-value", "D4"), ("invalid-deadline", "G5")),
    ),
    Case(
        "dazhou_assigned", "达州市",
        "http://fgw.dazhou.gov.cn/news-show-1581.html — 达州市发展和改革委员会关于对上级交办事项等实行台账管理的通知",
        "达州市发展和改革委员会2015年交办事项台账",
        ("序号", "交办来源", "交办事项", "承办科室", "承办人", "办结时限", "办理结果"),
        (
            (1, "市政府专题会议", "编制重大项目储备规划", "投资科", "何文斌", "2015年8月底", "已报市政府"),
            (2, "委领导交办", "核实企业申报材料", "产业科", None, "2015年7月20日", "正在核实"),
            (3, "信访转办", "答复群众反映的价格问题", "价格科", "唐晓燕", "7月35日", None),
            (4, "委党组会议定", "梳理年度绩效管理事项", "综合科", "何文斌", "2015年9月底", "已梳理"),
        ),
        "assigned-matters",
        # 承办人 required as a name (no phone column); 7月35日 does not exist; 科室 are in no registry
        (("no-unit-registry", "D2"), ("missing-value", "E4"), ("invalid-deadline", "F5")),
    ),
    Case(
        "jieshou_assigned", "界首市",
        "https://hefei.baogaosu.com/xinwen/ — 界首市商务局实行工作任务限时办结制（2015-06-09）",
        "界首市商务局2015年领导交办事项台账",
        ("序号", "交办事项", "承办股室", "承办人", "联系电话", "办理时限", "办结情况"),
        (
            (1, "上级转办信访件办理", "市场运行股", "吴海涛", "13956781234", "2015年7月10日", "已答复"),
            (2, "重要会议贯彻落实情况书面反馈", "办公室", "办公室", "0558-4821234", "2015年6月30日", "已反馈"),
            (3, "商务业务政策咨询答复", "外贸股", "许晴", "1395678123", "2015年8月底", "正在办理"),
            (4, "紧急公文办理", "市场运行股", "吴海涛", "13956781234", "2015年6月15日", "已办结"),
        ),
        "assigned-matters",
        # with a phone column the 承办人 is the contact: 办公室 is not a name, 1395678123 has 10 digits
        (("no-unit-registry", "C2"), ("invalid-contact-name", "D4"), ("invalid-phone", "E5")),
    ),
    Case(
        "baidishi_supervision", "清涧县白地市镇",
        "http://www.qdx.gov.cn/xxgk/xxgkml/xzxxgkml/bdsz/fgwj/20200216/i1362254.html — 督查工作制度（白地市镇）",
        "2020年治超督办事项台账",
        ("序号", "督办来源", "督办事项", "承办单位", "协办单位", "办理时限", "办理情况", "承办人", "联系电话"),
        (
            (1, "治超领导小组会议", "开展货运源头企业排查", "镇治超站", "镇派出所", "2020年4月底", "已排查12家", "高永强", "13909123456"),
            (2, "县治超办文件", "设置超限检测点", "镇治超站", None, "尽快", "选址中", "高永强", "13909123456"),
            (3, "群众举报", "查处非法超限运输车辆", "镇派出所", "镇治超站", "2020年3月15日", "已查处", "白雪峰", None),
            (4, "领导批示", "整治路域环境", "镇规划建设办", "镇治超站", "2020年6月底", "推进中", "张雅琴", "0912-5521234"),
        ),
        "supervision",
        # 尽快 has no date (a warning); a 承办人 with no phone in a ledger that has a phone column
        (("no-unit-registry", "D2"), ("unparsed-deadline", "F4"), ("missing-phone", "I5")),
    ),
    Case(
        "lucheng_supervision", "温州市鹿城区",
        "http://www.lucheng.gov.cn/art/2019/4/8/art_1229443018_1982173.html — 关于进一步强化办文办事效能的通知（鹿城区综合行政执法局）",
        "鹿城区综合行政执法局2019年督办事项台账",
        ("序号", "督办事项", "承办单位", "办理时限", "办理情况"),
        (
            (1, "区政府督查通报事项整改", "市容环境卫生管理科", "2019年4月30日", "已整改"),
            (2, "重要文件贯彻落实", "法制科", "4月31日", "正在落实"),
            (3, "会议纪要议定事项", None, "2019年5月底", None),
            (4, "人大代表建议办理", "办公室", "2019年6月30日", "已答复"),
        ),
        "supervision",
        # a 督办 ledger with no 承办人 and no phone column: nothing missing; 4月31日 does not exist
        (("no-unit-registry", "C2"), ("invalid-deadline", "D4"), ("missing-unit", "C5")),
    ),
    Case(
        "xiangyin_petitions_generic", "湘阴县",
        "http://www.xiangyin.gov.cn/31185/32018/32020/32037/38010/content_2096107.html — 湘阴县加强城市地下市政基础设施建设和运行管理实施方案",
        "湘阴县2023年城市地下市政基础设施问题交办清单",
        ("编号", "发现问题", "交办时间", "整治单位", "办结期限", "责任人", "处理结果", "备注"),
        (
            (1, "城区排水管网雨污混接", "2023-08-10", "县住房和城乡建设局", "2023年10月底", "彭志远", "已完成改造", None),
            (2, "地下通道照明设施损坏", "2023-08-10", "县城市管理局", "2023年8月32日", "易春来", None, None),
            (3, "人防工程渗水", "2023-08-12", None, "2023年11月底", "罗海", "正在维修", "需资金"),
            (4, "燃气管线标识缺失", "2023-08-12", "县住房和城乡建设局", "2023年9月底", None, "已补设", None),
        ),
        "generic",
        # no built-in type fits: a profile from the roles (deadline 办结期限, units 整治单位,
        # responsible 责任人 required as a name, no phone column)
        (("no-unit-registry", "D2"), ("invalid-deadline", "E4"), ("missing-unit", "D5"), ("missing-value", "F6")),
    ),
)


def build(case: Case, path: Path) -> Path:
    """Write `case` as an .xlsx the way an office keeps it: a title row, the header, the rows."""
    import openpyxl
    from openpyxl.styles import Alignment, Font

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = case.sheet
    ws.append([case.title])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(case.header))
    ws["A1"].font = Font(bold=True, size=14)
    ws.append(list(case.header))
    for row in case.rows:
        ws.append(list(row))
    for rng in case.merges:
        ws.merge_cells(rng)
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="center")
    for i, head in enumerate(case.header, 1):
        longest = max([len(str(head))] + [len(str(r[i - 1])) for r in case.rows if i <= len(r) and r[i - 1] is not None])
        ws.column_dimensions[openpyxl.utils.get_column_letter(i)].width = max(8, min(28, 2 * longest + 2))
    for r in range(2, ws.max_row + 1):
        ws.row_dimensions[r].height = 45  # wrapped text stays visible: LibreOffice does not fit heights
    ws.page_setup.orientation = "landscape"
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToHeight = 0
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv else Path("corpus-out")
    for case in CASES:
        print(build(case, out / f"{case.name}.xlsx"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
