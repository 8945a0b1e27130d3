# Over 400 lines by design: data: the county's items, suppliers and notice texts, no logic.
"""What 澄溪县 buys in the demo year, from whom, and the Chinese texts its notices carry.

Data only: ``demo.year`` turns it into commands. Titles are the purchaser's name plus
the item (``澄溪县人民医院`` + ``64排螺旋CT设备采购项目``); budgets are 万元 with two decimals,
as the county's summaries quote them. Every supplier code here is registered by
``demo.builder.ORGANISATIONS``.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Final, NamedTuple


class Item(NamedTuple):
    """One procurement of the year, before its dates and prices are drawn."""

    key: str  # stable handle, used by the twist table of demo.year
    purchaser: str
    stem: str  # the title without the purchaser's name
    category: str
    method: str
    wan: str  # budget in 万元
    sector: str  # which suppliers answer (SECTORS)


G, W, S = "goods", "works", "services"
OPEN, INVITED, NEGOTIATION = "open_tender", "invited_tender", "competitive_negotiation"
CONSULTATION, INQUIRY = "competitive_consultation", "inquiry"
SINGLE, FRAMEWORK = "single_source", "framework_agreement"

# fmt: off
ITEMS: Final[tuple[Item, ...]] = tuple(Item(*row) for row in (
    ("rmyy-ct", "qhx-rmyy", "64排螺旋CT设备采购项目", G, OPEN, "760.00", "medical"),
    ("rmyy-hc", "qhx-rmyy", "2026年度医用耗材采购项目", G, OPEN, "320.00", "medical"),
    ("rmyy-shfx", "qhx-rmyy", "全自动生化分析仪采购项目", G, OPEN, "285.00", "medical"),
    ("rmyy-dr", "qhx-rmyy", "数字化X射线摄影系统（DR）采购项目", G, OPEN, "236.00", "medical"),
    ("rmyy-xf", "qhx-rmyy", "住院楼消防设施改造工程", W, CONSULTATION, "186.00", "building"),
    ("rmyy-wy", "qhx-rmyy", "物业管理服务采购项目", S, OPEN, "268.00", "property"),
    ("rmyy-his", "qhx-rmyy", "医院信息系统（HIS）升级改造项目", S, SINGLE, "96.00", "it"),
    ("rmyy-fs", "qhx-rmyy", "放射诊疗用房防护工程", W, INVITED, "142.00", "building"),
    ("rmyy-bg", "qhx-rmyy", "办公用品框架协议采购项目", G, FRAMEWORK, "28.00", "office"),
    ("rmyy-wb", "qhx-rmyy", "医疗设备维修保养服务", S, CONSULTATION, "85.00", "medical"),
    ("rmyy-kt", "qhx-rmyy", "中央空调系统维修改造工程", W, CONSULTATION, "128.00", "building"),
    ("rmyy-xd", "qhx-rmyy", "医用织物洗涤消毒服务", S, CONSULTATION, "46.00", "property"),
    ("rmyy-hlc", "qhx-rmyy", "病房多功能护理床采购项目", G, INQUIRY, "72.00", "medical"),
    ("zyy-yp", "qhx-zyy", "2026年度中药饮片采购项目", G, OPEN, "210.00", "medical"),
    ("zyy-kf", "qhx-zyy", "康复理疗设备采购项目", G, NEGOTIATION, "145.00", "medical"),
    ("zyy-wlm", "qhx-zyy", "门诊楼外立面改造工程", W, CONSULTATION, "238.00", "building"),
    ("zyy-bj", "qhx-zyy", "保洁服务采购项目", S, CONSULTATION, "58.00", "property"),
    ("zyy-cs", "qhx-zyy", "彩色多普勒超声诊断仪采购项目", G, OPEN, "215.00", "medical"),
    ("zyy-zyg", "qhx-zyy", "中医馆健康信息平台扩容项目", S, SINGLE, "38.00", "it"),
    ("zyy-jy", "qhx-zyy", "智能煎药中心设备采购项目", G, INQUIRY, "48.00", "medical"),
    ("zyy-wb", "qhx-zyy", "医疗废物暂存间改造工程", W, CONSULTATION, "36.00", "building"),
    ("fy-jh", "qhx-fybjy", "新生儿重症监护设备采购项目", G, NEGOTIATION, "128.00", "medical"),
    ("fy-sj", "qhx-fybjy", "检验试剂及医用耗材采购项目", G, INQUIRY, "86.00", "medical"),
    ("fy-lh", "qhx-fybjy", "院区绿化养护服务采购项目", S, CONSULTATION, "24.00", "property"),
    ("fy-bf", "qhx-fybjy", "产科病房改造工程", W, CONSULTATION, "96.00", "building"),
    ("cdc-ll", "qhx-cdc", "疫苗冷链设备采购项目", G, INQUIRY, "68.00", "medical"),
    ("cdc-jc", "qhx-cdc", "实验室检测仪器采购项目", G, OPEN, "235.00", "medical"),
    ("cdc-xs", "qhx-cdc", "病媒生物防制消杀药械采购项目", G, INQUIRY, "32.00", "medical"),
    ("cdc-pcr", "qhx-cdc", "荧光定量PCR仪原厂维保服务", S, SINGLE, "18.60", "medical"),
    ("cdc-sw", "qhx-cdc", "生物安全二级实验室改造工程", W, INVITED, "168.00", "building"),
    ("cdc-sc", "qhx-cdc", "艾滋病及结核病筛查试剂采购项目", G, INQUIRY, "54.00", "medical"),
    ("wjw-xz", "qhx-wjw", "乡镇卫生院医疗设备提升项目", G, OPEN, "560.00", "medical"),
    ("wjw-pt", "qhx-wjw", "基层卫生健康信息平台建设项目", S, OPEN, "248.00", "it"),
    ("wjw-cws", "qhx-wjw", "村卫生室标准化建设设备采购项目", G, NEGOTIATION, "176.00", "medical"),
    ("wjw-yj", "qhx-wjw", "卫生应急物资储备采购项目", G, INQUIRY, "92.00", "medical"),
    ("wjw-ys", "qhx-wjw", "健康教育宣传资料印制服务", S, FRAMEWORK, "22.00", "office"),
    ("wjw-jhc", "qhx-wjw", "院前急救车辆采购项目", G, OPEN, "248.00", "vehicle"),
    ("jyj-zh", "qhx-jyj", "中小学智慧教室设备采购项目", G, OPEN, "680.00", "education"),
    ("jyj-kzy", "qhx-jyj", "农村学校学生课桌椅采购项目", G, OPEN, "245.00", "office"),
    ("jyj-af", "qhx-jyj", "中小学校园安防监控系统建设项目", G, OPEN, "318.00", "it"),
    ("jyj-jsj1", "qhx-jyj", "中小学教学用计算机采购项目（第一批）", G, INQUIRY, "168.00", "it"),
    ("jyj-jsj2", "qhx-jyj", "中小学教学用计算机采购项目（第二批）", G, INQUIRY, "156.50", "it"),
    ("jyj-jsj3", "qhx-jyj", "中小学教学用计算机采购项目（第三批）", G, INQUIRY, "139.80", "it"),
    ("jyj-ycs", "qhx-jyj", "学生营养改善计划食材配送服务", S, OPEN, "420.00", "food"),
    ("jyj-xs", "qhx-jyj", "中小学校舍维修改造工程", W, OPEN, "860.00", "building"),
    ("jyj-ts", "qhx-jyj", "中小学图书馆（室）图书采购项目", G, INQUIRY, "75.00", "education"),
    ("jyj-dy", "qhx-jyj", "打印复印耗材框架协议采购项目", G, FRAMEWORK, "36.00", "office"),
    ("jyj-qn", "qhx-jyj", "农村学校冬季取暖设备采购项目", G, INQUIRY, "118.00", "building"),
    ("jyj-cs", "qhx-jyj", "农村学校厕所改造工程", W, CONSULTATION, "186.00", "building"),
    ("jyj-wj", "qhx-jyj", "幼儿园玩教具采购项目", G, INQUIRY, "64.00", "education"),
    ("yz-jxl", "qhx-yz", "教学楼维修改造工程", W, CONSULTATION, "298.00", "building"),
    ("yz-cj", "qhx-yz", "学生公寓床具采购项目", G, INQUIRY, "62.00", "office"),
    ("yz-sys", "qhx-yz", "理化生实验室设备采购项目", G, NEGOTIATION, "118.00", "education"),
    ("yz-pd", "qhx-yz", "运动场塑胶跑道改造工程", W, CONSULTATION, "165.00", "building"),
    ("yz-st", "qhx-yz", "学生食堂食材配送服务", S, CONSULTATION, "132.00", "food"),
    ("yz-kt", "qhx-yz", "学生宿舍空调采购及安装项目", G, INQUIRY, "96.00", "building"),
    ("yz-wh", "qhx-yz", "校园文化建设工程", W, CONSULTATION, "58.00", "building"),
    ("xx-ytj", "qhx-syxx", "多媒体教学一体机采购项目", G, INQUIRY, "58.00", "education"),
    ("xx-lh", "qhx-syxx", "校园绿化提升工程", W, CONSULTATION, "46.00", "property"),
    ("xx-qc", "qhx-syxx", "音体美教学器材采购项目", G, INQUIRY, "36.00", "education"),
    ("xx-af", "qhx-syxx", "校园安全防护设施采购项目", G, INQUIRY, "28.00", "it"),
    ("zj-sk", "qhx-zjzx", "数控加工实训设备采购项目", G, OPEN, "285.00", "education"),
    ("zj-qx", "qhx-zjzx", "汽车维修实训基地设备采购项目", G, INVITED, "196.00", "education"),
    ("zj-dq", "qhx-zjzx", "实训楼电气线路改造工程", W, CONSULTATION, "88.00", "building"),
    ("zj-ds", "qhx-zjzx", "电子商务实训室建设项目", G, INQUIRY, "86.00", "it"),
    ("jt-yh", "qhx-jtysj", "2026年农村公路养护工程", W, OPEN, "1260.00", "civil"),
    ("jt-gd", "qhx-jtysj", "县道012线澄溪段路面修复工程", W, OPEN, "2180.00", "civil"),
    ("jt-fh", "qhx-jtysj", "农村公路安全生命防护工程", W, OPEN, "486.00", "civil"),
    ("jt-fh2", "qhx-jtysj", "农村公路安全生命防护工程（二次）", W, NEGOTIATION, "486.00", "civil"),
    ("jt-ql", "qhx-jtysj", "公路桥梁定期检测服务", S, CONSULTATION, "68.00", "consulting"),
    ("jt-zt", "qhx-jtysj", "城乡公交候车亭采购项目", G, INQUIRY, "78.00", "civil"),
    ("jt-cl", "qhx-jtysj", "执法车辆定点维修服务", S, FRAMEWORK, "35.00", "vehicle"),
    ("jt-jg", "qhx-jtysj", "农村公路桥梁维修加固工程", W, CONSULTATION, "296.00", "civil"),
    ("jt-jx", "qhx-jtysj", "公路养护机械设备采购项目", G, NEGOTIATION, "152.00", "vehicle"),
    ("jt-zf", "qhx-jtysj", "交通运输执法装备采购项目", G, INQUIRY, "48.00", "it"),
    ("sl-nt", "qhx-slj", "2026年小型农田水利工程", W, OPEN, "980.00", "civil"),
    ("sl-qy", "qhx-slj", "青溪河澄溪段河道清淤疏浚工程", W, OPEN, "640.00", "civil"),
    ("sl-fx", "qhx-slj", "防汛应急物资采购项目", G, NEGOTIATION, "86.00", "civil"),
    ("sl-jc", "qhx-slj", "水资源监测系统建设项目", G, CONSULTATION, "148.00", "it"),
    ("sl-ys", "qhx-slj", "农村饮水安全工程维修养护项目", W, CONSULTATION, "156.00", "civil"),
    ("sl-sw", "qhx-slj", "水文监测站设备原厂维修服务", S, SINGLE, "26.00", "it"),
    ("sl-hd", "qhx-slj", "河道管护服务采购项目", S, CONSULTATION, "72.00", "property"),
    ("sl-gq", "qhx-slj", "灌区节水改造工程", W, CONSULTATION, "268.00", "civil"),
    ("ny-mz", "qhx-nyncj", "小麦良种统一供种采购项目", G, OPEN, "460.00", "agri"),
    ("ny-gbz", "qhx-nyncj", "高标准农田建设项目（第一标段）", W, OPEN, "1850.00", "civil"),
    ("ny-gbz2", "qhx-nyncj", "高标准农田建设项目（第二标段）", W, OPEN, "1620.00", "civil"),
    ("ny-bch", "qhx-nyncj", "农作物病虫害统防统治服务", S, CONSULTATION, "126.00", "agri"),
    ("ny-fy", "qhx-nyncj", "动物疫病防控物资采购项目", G, INQUIRY, "64.00", "agri"),
    ("ny-jg", "qhx-nyncj", "秸秆综合利用设备采购项目", G, NEGOTIATION, "115.00", "agri"),
    ("ny-fl", "qhx-nyncj", "测土配方施肥肥料采购项目", G, INQUIRY, "88.00", "agri"),
    ("ny-zf", "qhx-nyncj", "农业综合行政执法装备采购项目", G, INQUIRY, "46.00", "it"),
    ("ny-dd", "qhx-nyncj", "玉米大豆带状复合种植种子采购项目", G, INQUIRY, "96.00", "agri"),
    ("ny-jc", "qhx-nyncj", "农产品质量安全检测服务", S, CONSULTATION, "38.00", "consulting"),
    ("ga-xl", "qhx-gaj", "雪亮工程视频监控扩容项目", G, OPEN, "720.00", "it"),
    ("ga-jly", "qhx-gaj", "执法记录仪采购项目", G, INQUIRY, "42.00", "it"),
    ("ga-cl", "qhx-gaj", "业务用车定点维修服务", S, FRAMEWORK, "58.00", "vehicle"),
    ("ga-wy", "qhx-gaj", "办公楼物业管理服务", S, CONSULTATION, "96.00", "property"),
    ("ga-bm", "qhx-gaj", "视频专网设备扩容项目", G, SINGLE, "260.00", "it"),
    ("ga-ba", "qhx-gaj", "执法办案中心智能化改造项目", G, INVITED, "188.00", "it"),
    ("ga-xh", "qhx-gaj", "交通信号灯智能化改造项目", G, CONSULTATION, "168.00", "it"),
    ("ga-wrj", "qhx-gaj", "警用无人机采购项目", G, NEGOTIATION, "76.00", "it"),
    ("zjj-lj", "qhx-zjj", "老旧小区改造工程（一期）", W, OPEN, "1680.00", "building"),
    ("zjj-gr", "qhx-zjj", "城区供热管网改造工程", W, OPEN, "1120.00", "civil"),
    ("zjj-ps", "qhx-zjj", "城区排水防涝设施改造工程", W, OPEN, "760.00", "civil"),
    ("zjj-jc", "qhx-zjj", "建设工程质量检测服务", S, CONSULTATION, "55.00", "consulting"),
    ("zjj-jl", "qhx-zjj", "老旧小区改造工程监理服务", S, CONSULTATION, "42.00", "consulting"),
    ("zjj-ql", "qhx-zjj", "城区危桥加固工程", W, INVITED, "326.00", "civil"),
    ("zjj-xj", "qhx-zjj", "城区小街小巷改造工程", W, OPEN, "580.00", "civil"),
    ("zjj-rq", "qhx-zjj", "燃气管道老化更新改造工程", W, OPEN, "920.00", "civil"),
    ("cg-hw", "qhx-cgj", "城区环卫保洁服务采购项目", S, OPEN, "860.00", "property"),
    ("cg-zm", "qhx-cgj", "城区道路照明设施维修工程", W, CONSULTATION, "138.00", "civil"),
    ("cg-ljc", "qhx-cgj", "垃圾收运车辆采购项目", G, OPEN, "265.00", "vehicle"),
    ("cg-lh", "qhx-cgj", "城区绿化养护服务采购项目", S, CONSULTATION, "188.00", "property"),
    ("cg-ld", "qhx-cgj", "城区主干道路灯节能改造工程", W, CONSULTATION, "96.00", "civil"),
    ("cg-bgl", "qhx-cgj", "办公楼装修改造工程", W, CONSULTATION, "320.00", "building"),
    ("cg-gc", "qhx-cgj", "公共厕所提升改造工程", W, CONSULTATION, "128.00", "building"),
    ("cg-qs", "qhx-cgj", "城区道路清扫机械采购项目", G, OPEN, "228.00", "vehicle"),
    ("cg-cc", "qhx-cgj", "餐厨垃圾收运处置服务", S, CONSULTATION, "168.00", "property"),
    ("cg-wx", "qhx-cgj", "环卫车辆定点维修服务", S, FRAMEWORK, "42.00", "vehicle"),
    ("zr-gh", "qhx-zrzyj", "国土空间总体规划编制服务", S, CONSULTATION, "185.00", "consulting"),
    ("zr-bdc", "qhx-zrzyj", "不动产登记信息系统数据整合服务", S, SINGLE, "230.00", "it"),
    ("zr-dj", "qhx-zrzyj", "农村地籍调查测绘服务", S, OPEN, "236.00", "consulting"),
    ("zr-wp", "qhx-zrzyj", "卫片图斑核查服务", S, CONSULTATION, "32.00", "consulting"),
    ("zr-wrj", "qhx-zrzyj", "耕地保护监测无人机采购项目", G, INQUIRY, "45.00", "it"),
    ("mz-jly", "qhx-mzj", "敬老院适老化改造工程", W, CONSULTATION, "126.00", "building"),
    ("mz-wz", "qhx-mzj", "困难群众冬季救助物资采购项目", G, INQUIRY, "45.00", "food"),
    ("mz-hd", "qhx-mzj", "社会救助家庭经济状况核对系统运维服务", S, SINGLE, "28.00", "it"),
    ("mz-yl", "qhx-mzj", "居家养老上门服务采购项目", S, CONSULTATION, "86.00", "property"),
    ("mz-yz", "qhx-mzj", "社区养老服务站设备采购项目", G, INQUIRY, "68.00", "office"),
    ("wg-js", "qhx-wglj", "全民健身器材采购项目", G, INQUIRY, "128.00", "education"),
    ("wg-ts", "qhx-wglj", "县图书馆图书采购项目", G, INQUIRY, "55.00", "education"),
    ("wg-wt", "qhx-wglj", "文化广场舞台灯光音响设备采购项目", G, NEGOTIATION, "88.00", "it"),
    ("wg-bs", "qhx-wglj", "旅游标识标牌制作安装项目", G, CONSULTATION, "76.00", "civil"),
    ("wg-fy", "qhx-wglj", "非物质文化遗产数字化保护服务", S, CONSULTATION, "42.00", "it"),
    ("yj-pt", "qhx-yjglj", "应急指挥平台建设项目", G, OPEN, "386.00", "it"),
    ("yj-wz", "qhx-yjglj", "应急救援物资储备采购项目", G, INQUIRY, "52.00", "office"),
    ("yj-aq", "qhx-yjglj", "安全生产执法检查技术服务", S, CONSULTATION, "36.00", "consulting"),
    ("yj-gb", "qhx-yjglj", "应急广播系统建设项目", G, OPEN, "228.00", "it"),
    ("zf-jj", "qhx-xzfb", "政务服务中心办公家具采购项目", G, INQUIRY, "88.00", "office"),
    ("zf-bg", "qhx-xzfb", "2026年度办公用品框架协议采购项目", G, FRAMEWORK, "45.00", "office"),
    ("zf-cl", "qhx-xzfb", "公务用车定点维修服务", S, FRAMEWORK, "60.00", "vehicle"),
    ("zf-ys", "qhx-xzfb", "文件资料印刷服务框架协议采购项目", S, FRAMEWORK, "30.00", "office"),
    ("zf-ww", "qhx-xzfb", "电子政务外网运维服务", S, SINGLE, "46.00", "it"),
    ("zf-jy", "qhx-xzfb", "公务用车加油服务", S, FRAMEWORK, "40.00", "vehicle"),
    ("zf-sj", "qhx-xzfb", "政府投资项目审计服务", S, CONSULTATION, "65.00", "consulting"),
    ("zf-wz", "qhx-xzfb", "政府网站群安全监测服务", S, CONSULTATION, "28.00", "it"),
    ("rs-sbk", "qhx-rsj", "社会保障卡服务网点设备采购项目", G, INQUIRY, "39.00", "it"),
    ("rs-pt", "qhx-rsj", "就业创业服务平台运维服务", S, CONSULTATION, "42.00", "it"),
    ("rs-jsj", "qhx-rsj", "计算机及打印机框架协议采购项目", G, FRAMEWORK, "26.00", "it"),
    ("sc-cj", "qhx-scjgj", "2026年食品安全监督抽检服务", S, OPEN, "210.00", "consulting"),
    ("sc-jl", "qhx-scjgj", "计量检定标准器具采购项目", G, NEGOTIATION, "68.00", "it"),
    ("sc-kj", "qhx-scjgj", "农贸市场食品快检设备采购项目", G, INQUIRY, "34.00", "medical"),
    ("sc-tz", "qhx-scjgj", "特种设备安全检验检测服务", S, CONSULTATION, "58.00", "consulting"),
))

#: One procurement for each red flag the year's catalogue raises on none (README,
#: "Supervisory views"), after it: numbered on from its last code and drawn each from a
#: generator of its own, so the year's draws, codes and figures stay as they were. Their
#: bidders are suppliers of their own (``CASE_BIDDERS``), so no other procurement changes.
FLAG_CASES: Final[tuple[Item, ...]] = tuple(Item(*row) for row in (
    ("fy-tl", "qhx-fybjy", "新生儿听力筛查设备采购项目", G, INQUIRY, "68.00", "medical"),
    ("sl-fs", "qhx-slj", "水利局办公楼屋面防水维修工程", W, NEGOTIATION, "78.00", "building"),
    ("zr-da", "qhx-zrzyj", "不动产登记档案数字化服务", S, NEGOTIATION, "58.00", "it"),
    ("xx-gb", "qhx-syxx", "校园广播系统采购项目", G, INQUIRY, "42.00", "education"),
    ("cdc-ypg", "qhx-cdc", "疫苗接种门诊预检设备采购项目", G, INQUIRY, "46.00", "medical"),
    ("mz-kf", "qhx-mzj", "养老服务中心康复训练器材采购项目", G, INQUIRY, "38.00", "education"),
    ("wg-zj", "qhx-wglj", "非遗展厅展具采购项目", G, INQUIRY, "35.00", "education"),
    ("rs-jb", "qhx-rsj", "社保经办系统运维服务", S, SINGLE, "32.00", "it"),
    ("rs-jc", "qhx-rsj", "劳动保障监察信息系统升级服务", S, SINGLE, "26.00", "it"),
    ("sc-sj", "qhx-scjgj", "食品安全快速检测试剂采购项目", G, INQUIRY, "30.00", "medical"),
))

#: Who bids in each flag case, in order: the first of an across-categories case is the one
#: that underbids (``Twist.ACROSS_CATEGORIES``), the first of a debarred case the debarred.
CASE_BIDDERS: Final[dict[str, tuple[str, ...]]] = {
    "fy-tl": ("hb-jiuding", "hs-boda", "sd-huaxin"),
    "sl-fs": ("hb-jiuding", "hs-boda", "sd-huaxin"),
    "zr-da": ("hb-jiuding", "hs-boda", "sd-huaxin"),
    "xx-gb": ("hs-boda", "sd-huaxin", "qhx-ruifeng"),
    "cdc-ypg": ("sjz-yongxin", "qhx-ruitai", "hs-boda", "sd-huaxin"),
    "wg-zj": ("sd-huaxin", "qhx-ruifeng", "hs-boda"),
    "sc-sj": ("sd-huaxin", "qhx-ruifeng", "hs-boda"),
    "mz-kf": ("qhx-ruifeng", "hs-boda", "qhx-ruitai"),
}

#: The finance office's decision 禁止参加政府采购活动 (政府采购法 第七十七条) against the
#: supplier that bids in ``cdc-ypg`` all the same.
DEBARMENT: Final = {
    "code": "sjz-yongxin",
    "since": "2025-12-15",
    "until": "2026-12-14",
    "document_number": "澄财采处〔2025〕12号",
    "reason": "在政府采购活动中提供虚假材料谋取成交，依据政府采购法第七十七条第一款第一项，"
    "处以一年内禁止参加政府采购活动。",
}
#: Why its committee finds the debarred supplier's response invalid.
DEBARRED_REASON: Final = "供应商处于禁止参加政府采购活动期间，不具备参加本项目的资格"

#: Who answers a call in each line of trade; the first few bid most often.
SECTORS: Final[dict[str, tuple[str, ...]]] = {
    "medical": ("hb-kangtai", "sjz-renhe", "xt-huakang", "hb-yikang", "bj-meidi", "hs-jiankang"),
    "education": ("hb-zhiyuan", "hb-boya", "xt-qiming", "hs-huati", "sd-dehui"),
    "it": ("hb-xinda", "sjz-zhongke", "xt-ruixin", "bj-hengtong", "hb-tianyuan", "qhx-chuangxin"),
    "office": ("hb-huamei", "xt-jiayi", "qhx-xinghe", "hb-hongtu", "hs-meilin"),
    "building": ("xt-jianye", "hb-hongda", "qhx-chengjian", "hb-zhuyuan", "xt-guangsha"),
    "civil": ("hb-luqiao", "hb-shuiyun", "hb-huasheng", "xt-hongyuan", "sd-tongda"),
    "property": ("bj-anxin", "hb-jiajie", "xt-antai", "sjz-lvyuan", "qhx-lejia"),
    "agri": ("hb-nongke", "hb-fengshou", "xt-wotian", "hb-kemu"),
    "consulting": ("hb-chengxin", "hb-zhongheng", "xt-huayuan", "hb-zhengda", "xt-hengxin"),
    "food": ("qhx-huimin", "xt-xianfeng", "hb-jinhe"),
    "vehicle": ("qhx-tongda", "xt-shunan", "hb-hongtai", "xt-shuntong"),
}
# fmt: on

#: Single-source procurements: the one supplier and why only it (政府采购法 第三十一条).
SOLE_SOURCES: Final[dict[str, tuple[str, str]]] = {
    "rmyy-his": ("hb-xinda", "须与医院现有HIS系统保持一致，只能由原系统开发商升级改造"),
    "zyy-zyg": ("sjz-zhongke", "平台为原供应商自主知识产权产品，扩容须由其实施"),
    "cdc-pcr": ("hb-kangtai", "设备处于原厂技术保护期，维保只能由原厂授权服务商提供"),
    "sl-sw": ("xt-ruixin", "监测站设备为原供应商专有产品，备件及维修只能由其提供"),
    "ga-bm": ("bj-hengtong", "须与原有视频专网设备配套，添购金额未超过原合同金额百分之十"),
    "zr-bdc": ("bj-hengtong", "数据整合须在原系统上进行，只能由原系统开发商承担"),
    "mz-hd": ("hb-tianyuan", "核对系统由原开发商部署，运维涉及系统源代码，只能由其提供"),
    "zf-ww": ("hb-xinda", "外网设备及链路由原建设单位部署，继续运维可保证网络安全与服务一致"),
    # the flag case of single_source_overuse: two of the 人社局's five plans
    "rs-jb": ("hs-boda", "系统由原供应商开发，运维须由其提供"),
    "rs-jc": ("hs-boda", "升级须在原系统上进行，只能由原开发商实施"),
}

#: Why a method other than open tender was chosen, by method (and for one item, its own).
RATIONALES: Final[dict[str, str]] = {
    INVITED: "采购项目具有特殊性，只能从有限范围的供应商处采购（政府采购法第二十九条第一项）",
    NEGOTIATION: "技术复杂或者性质特殊，不能确定详细规格或者具体要求（政府采购法第三十条第二项）",
    CONSULTATION: "采购需求具有一定复杂性，技术、服务标准需与供应商磋商确定（财库〔2014〕214号）",
    INQUIRY: "货物规格、标准统一，现货货源充足且价格变化幅度小（政府采购法第三十二条）",
    FRAMEWORK: "采购需求多频次、小额零星，适用框架协议采购（财政部令第110号）",
    "jt-fh2": "公开招标因投标人不足三家而废标，经批准改为竞争性谈判（政府采购法第三十条第一项）",
    "wg-zj": "工作需要",  # says nothing: the flag case of non_open_without_rationale
}

REQUIREMENTS: Final[dict[str, str]] = {
    "medical": "所投设备或产品须为全新原厂正品，具有有效的医疗器械注册证；质保期不少于三年，"
    "接到报修后4小时内响应、24小时内到场；到货后15日内完成安装调试并培训使用科室人员。",
    "education": "产品须符合国家及云岭省中小学教育技术装备标准，环保指标符合国家标准；"
    "送货上门并负责安装调试，质保期不少于三年，免费培训任课教师。",
    "it": "软硬件须为正版、全新产品，满足网络安全等级保护2.0要求；供应商负责部署实施、"
    "系统集成与数据迁移，提供三年免费运维和7×24小时技术支持。",
    "office": "产品须符合国家环保及质量标准，板材甲醛释放量达到E1级及以上；"
    "按采购人指定地点送货上门并安装，质保期不少于三年。",
    "building": "按施工图纸及工程量清单施工，质量标准为合格；施工期间做好扬尘治理和文明施工，"
    "不得影响正常办公、教学或诊疗秩序。",
    "civil": "按设计文件及工程量清单施工，质量标准为合格；施工期间做好交通导改、安全防护及"
    "扬尘治理，缺陷责任期24个月。",
    "property": "服务期一年；按采购需求配备足额持证上岗人员，建立服务质量考核制度，"
    "接受采购人按月考核，考核结果与服务费支付挂钩。",
    "agri": "产品须符合国家及云岭省质量标准，种子须经审定并附质量检验报告；"
    "按指定时间配送至各乡镇，供货期满足农时需要。",
    "consulting": "供应商须按国家及行业技术规范开展工作，按期提交成果文件并对成果质量负责；"
    "项目负责人须具有相应执业资格。",
    "food": "食材须新鲜安全，符合食品安全国家标准，每批次附检验检疫合格证明；"
    "每日按时配送，配送车辆须为冷藏或保温车辆。",
    "vehicle": "服务网点须位于澄溪县城区并具备相应资质；配件须为原厂或同质配件并明码标价，"
    "先服务后结算，按月对账。",
}

QUALIFICATIONS: Final[dict[str, str]] = {
    "medical": "具有医疗器械经营许可证或备案凭证；",
    "building": "具有建筑工程施工总承包三级及以上资质和有效的安全生产许可证；",
    "civil": "具有市政公用工程或公路工程施工总承包三级及以上资质和有效的安全生产许可证；",
    "consulting": "具有与本项目相应的资质（资格）证书；",
    "food": "具有食品经营许可证；",
    "vehicle": "具有机动车维修经营备案或相应经营资格；",
}
COMMON_QUALIFICATIONS: Final = (
    "具有独立承担民事责任的能力；未被列入失信被执行人、重大税收违法失信主体、"
    "政府采购严重违法失信行为记录名单；本项目不接受联合体投标。"
)

#: Acceptance reports 验收报告 by category.
ACCEPTANCE: Final[dict[str, str]] = {
    G: "货物已按合同约定送达并安装调试完毕，品牌型号、数量及技术参数与合同一致，验收合格。",
    W: "工程已按施工图纸及合同约定完成，经建设、监理、施工单位联合验收，质量合格。",
    S: "服务期内供应商按合同约定履约，月度考核均为合格，经验收小组验收合格。",
}

#: The 检测机构 that tests a large delivery before its acceptance (财库〔2016〕205号).
TESTING_BODIES: Final[dict[str, str]] = {
    G: "澄州市产品质量检验检测中心",
    W: "澄州市建设工程质量检测中心",
    S: "澄州市标准计量检验检测所",
}

#: Why a technically complex purchase could not be staffed by a random draw (87号令 第四十八条).
CHOSEN_EXPERTS: Final = (
    "设备技术复杂、专业性强，专家库内医学影像设备专业评审专家不足，随机抽取难以确定合适评审专家"
)

INVALID_REASONS: Final = (
    "投标文件未按采购文件要求加盖公章",
    "未按要求提供有效的资格证明文件",
    "技术参数不满足采购文件带★号的实质性要求",
    "投标有效期不满足采购文件要求",
)

PLACES: Final[dict[str | None, str]] = {
    "qhx-ggzy": "澄溪县公共资源交易中心开标一室（澄溪县武松路66号）",
    "qhx-hyzb": "云岭恒远招标代理有限公司澄溪分公司开标室（澄溪县黄河路18号）",
    "hb-zhongtai": "云岭中泰项目管理有限公司会议室（澄溪县长江路108号）",
    "xt-zhengxin": "青峦正信招标代理有限公司澄溪项目部（澄溪县中华路56号）",
    None: "采购人会议室",
}

#: An intention's 采购需求概况 (财库〔2020〕10号), by category.
SUMMARIES: Final[dict[str, str]] = {
    G: "采购所需设备及配套服务，含供货、安装调试、培训和质保",
    W: "工程施工，含材料、人工及竣工验收前的全部工作",
    S: "采购所需服务，服务期一年，含人员配备、方案实施和成果交付",
}

#: A contract notice's 履约地点 and 履约期限 (实施条例 第五十条), by category.
PERFORMANCE: Final[dict[str, tuple[str, str]]] = {
    G: ("采购人指定地点（澄溪县内）", "合同签订后30日内交货并完成安装调试"),
    W: ("项目所在地（澄溪县内）", "合同签订后180日历天内竣工"),
    S: ("采购人指定地点（澄溪县内）", "自合同签订之日起12个月"),
}

#: How each agency (or a purchaser on its own) lets suppliers obtain the documents 获取采购文件:
#: where, how and at what price (财政部令第87号 第十三条).
OBTAINING: Final[dict[str | None, dict[str, str]]] = {
    "qhx-ggzy": {"place": "澄溪县公共资源交易中心网站（电子交易系统）",
                 "method": "网上下载：供应商登录电子交易系统免费获取", "price": "0.00"},
    "qhx-hyzb": {"place": "云岭恒远招标代理有限公司澄溪分公司（澄溪县黄河路18号）",
                 "method": "现场购买：携营业执照复印件及授权委托书", "price": "300.00"},
    "hb-zhongtai": {"place": "云岭中泰项目管理有限公司（澄溪县长江路108号）",
                    "method": "现场或邮件获取，免费", "price": "0.00"},
    "xt-zhengxin": {"place": "青峦正信招标代理有限公司澄溪项目部（澄溪县中华路56号）",
                    "method": "现场购买", "price": "200.00"},
    None: {"place": "采购人办公室", "method": "现场获取，免费", "price": "0.00"},
}  # fmt: skip

#: The 专业人员 who argue for a single source (实施条例 第三十八条): invented people of invented
#: bodies of 云岭省, as the rest of the demo.
EXPERTS: Final = (
    ("周明远", "云岭省信息技术应用研究院", "高级工程师"),
    ("林晓岚", "云岭理工大学", "教授"),
    ("郑国华", "云岭省医疗器械检验所", "主任技师"),
    ("沈立新", "白鹭市工程咨询中心", "正高级工程师"),
    ("顾雨晴", "云岭财经学院", "副教授"),
)

#: A brand and model written into the requirement: the red flag 指定品牌.
BRANDS: Final[dict[str, str]] = {
    "rmyy-shfx": "★所投全自动生化分析仪须为西门子品牌，型号为Atellica CH 930，并提供原厂授权书。",
}

#: The fixed texts of the year's notices and decisions.
TEXTS: Final[dict[str, str]] = {
    "approve": "经审核，该项目已列入年度部门预算，同意备案。",
    "approve_late": "补办审批：该项目在采购计划批复前已开展采购活动，已责令采购人整改。",
    "supplement": "合同履行中追加与合同标的相同的摄像机及配套存储设备，其他条款不变，"
    "补充合同金额不超过原合同金额的10%。",
    "reject": "该项目未列入本年度部门预算，资金来源不明确，且装修标准超出办公用房维修标准，"
    "不予备案。",
    "failure": "投标截止时提交投标文件的供应商不足三家，依据政府采购法第三十六条予以废标。",
    "next_ranked": "排名第一的中标候选人书面声明放弃中标，依据政府采购法实施条例第四十九条，"
    "按评审报告推荐的中标候选人名单排序确定排名第二的中标候选人为中标人。",
    "terminate": "因上级专项资金安排调整，采购需求发生重大变化，终止本次采购活动。",
    "correct": "因部分技术参数调整，投标截止及开标时间相应延期，其他内容不变。",
    "suspend": "处理投诉期间，依据政府采购法第五十七条及财政部令第94号第二十八条书面通知暂停"
    "采购活动，暂停时间最长不超过三十日。",
    "resume": "投诉已依法处理，通知恢复采购活动。",
    "prequalification_refused": "资格申请文件未提供具备汽车维修实训设备供货能力的证明材料，"
    "不符合资格预审文件载明的资格条件。",
}
#: Who applied to a 资格预审 from outside the procurement's sector, and is refused.
PREQUALIFICATION_REFUSED: Final = "xt-shunan"

#: Challenges 质疑 and complaints 投诉 of the year, by the twist that raises them: the
#: supplier's grounds, the answer, the complaint, and the finance office's decision.
DISPUTES: Final[dict[str, dict[str, str]]] = {
    "challenge": {
        "grounds": "中标供应商所投产品部分技术参数不满足采购文件★号条款要求，评审结果有误。",
        "answer": "经组织原评审委员会复核，中标供应商所投产品技术参数满足采购文件要求，"
        "质疑事项不成立。",
    },
    "answered": {
        "grounds": "评审委员会对我公司提供的类似项目业绩未予计分，评分有误。",
        "answer": "经复核，评审委员会对质疑人一项业绩漏计分，已予纠正；纠正后排序未发生变化，"
        "成交结果不变。",
    },
    "withdrawn": {
        "grounds": "对成交供应商的资格条件有异议，请求复核。",
        "withdraw": "经进一步了解情况，我公司主动撤回质疑。",
    },
    "complaint": {
        "grounds": "中标供应商投标报价明显低于其他供应商，可能影响产品质量和履约。",
        "answer": "评审委员会已要求中标供应商对报价作出书面说明并提供证明材料，认定报价合理，"
        "质疑事项不成立。",
        "complaint": "质疑答复未对报价合理性作出充分说明，请求财政部门依法处理。",
        "decision": "经调取评审资料并组织专家论证，评审程序合法，投诉事项缺乏事实依据，"
        "依据财政部令第94号第二十九条驳回投诉。",
    },
    "early_answer": {
        "grounds": "中标供应商所投平台软件未提供原厂授权，不满足采购文件实质性要求。",
        "answer": "经核查，中标供应商已在投标文件中提供原厂授权书，质疑事项不成立。",
        "complaint": "质疑答复未附授权书核查材料，请求财政部门依法调查。",
        "decision": "投诉人在质疑答复期满后十五个工作日内提起投诉，依法受理；经调取投标文件核实，"
        "原厂授权书真实有效，依据财政部令第94号第二十九条驳回投诉。",
    },
    "late_challenge": {
        "grounds": "中标供应商拟派项目负责人有在建项目，不满足采购文件要求。",
        "answer": "质疑人在结果公告发布后第十一个工作日提出质疑，已超过法定质疑期限；"
        "经核查，质疑事项亦不成立。",
    },
    "late_answer": {
        "grounds": "评分标准中服务方案评分因素未量化细化，评审存在主观随意性。",
        "answer": "经复核，评审委员会按采购文件规定的评分标准独立评审，质疑事项不成立。",
    },
    "late_complaint": {
        "grounds": "中标供应商提供的类似业绩合同存在虚假。",
        "answer": "经向业绩合同发包方核实，合同真实有效，异议不成立。",
        "complaint": "对异议答复不服，请求行政监督部门调查中标候选人业绩的真实性。",
        "decision": "投诉人在知道异议答复之日起十日后提起投诉，超过法定投诉期限，"
        "依据招标投标法实施条例第六十条、第六十一条不予受理。",
    },
    "late_decision": {
        "grounds": "评审委员会对我公司施工组织设计的评分明显偏低，与采购文件评分标准不符。",
        "answer": "经原评审委员会复核，施工组织设计评分符合评分标准，异议不成立。",
        "complaint": "异议答复未说明评分依据，请求行政监督部门调查评审过程。",
        "decision": "经调查，个别评审专家评分存在明显差错，责令组织原评审委员会予以纠正，"
        "纠正后中标结果不变；对该评审专家予以记录。",
    },
    "unanswered": {
        "grounds": "施工组织设计评分不符合采购文件规定的评分标准，请求重新评审。",
        "complaint": "质疑提出后，采购人及采购代理机构未在法定期限内作出书面答复。",
        "decision": "采购人未在收到质疑函后七个工作日内作出答复，违反财政部令第94号第十三条，"
        "责令改正；评分异议经审查不成立。",
    },
    "designated_brand": {
        "grounds": "采购文件指定西门子品牌及具体型号，排斥其他品牌潜在供应商，"
        "违反政府采购法实施条例第二十条。",
        "answer": "该设备须与医院现有检验流水线及LIS系统对接，指定品牌型号系技术兼容需要，"
        "质疑事项不成立。",
    },
    "suspended_contract": {
        "grounds": "中标供应商拟派项目经理不具备物业管理相关职业资格。",
        "answer": "经核查，中标供应商拟派项目经理资格证书真实有效，质疑事项不成立。",
        "complaint": "对质疑答复不服，请求财政部门核查中标供应商项目经理资格。",
        "decision": "经核查，中标供应商拟派项目经理资格证书真实有效，投诉事项缺乏事实依据，"
        "依据财政部令第94号第二十九条驳回投诉。采购人在暂停期间签订合同，已责令整改。",
    },
    "suspension_lapsed": {
        "grounds": "采购文件设定的业绩条件与项目规模不相适应，排斥潜在供应商。",
        "answer": "业绩条件系根据项目技术复杂程度设定，未指向特定供应商，质疑事项不成立。",
        "complaint": "对质疑答复不服，请求财政部门审查采购文件资格条件设置。",
        "decision": "经审查，采购文件资格条件设置合法，投诉事项不成立，依据财政部令第94号"
        "第二十九条驳回投诉。",
    },
}

#: Area codes for the identity numbers of suppliers' representatives, by code prefix.
AREAS: Final[dict[str, str]] = {
    "qhx": "130534",
    "xt": "130502",
    "hb": "130102",
    "sjz": "130104",
    "hs": "131102",
    "bj": "110105",
    "sd": "371428",
}

_SURNAMES: Final = (
    "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"  # 20
    "梁宋郑谢韩唐冯于董程曹袁邓许傅沈曾彭吕苏"  # 40
)
_GIVEN: Final = [
    *("建国", "秀英", "伟", "洋", "静", "帆", "磊", "敏", "杰", "芳"),
    *("明", "丽", "超", "婷", "斌", "强", "雪", "峰", "涛", "娟"),
    *("晨", "志强", "海燕", "国华", "文静", "俊杰", "红梅", "立新", "晓东", "春燕"),
    *("振华", "玉兰", "学军", "丽娜", "建华", "桂芳", "永刚", "淑珍", "卫东", "艳红"),
    *("子涵", "浩然", "雨萱", "宏伟", "金凤", "德明", "素梅", "志刚", "晓燕", "庆云"),
]
#: Weights of the check character of a resident identity number (GB 11643-1999).
_ID_WEIGHTS: Final = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def person(n: int) -> str:
    """The n-th person of the county: distinct for n below 200 (lcm of 40 surnames, 50 names)."""
    return _SURNAMES[n % len(_SURNAMES)] + _GIVEN[n % len(_GIVEN)]


def contact(organisation: str) -> str:
    """The contact person and telephone an organisation's notices give."""
    n = sum(map(ord, organisation))
    return f"{person(n)} 0319-8{n * 7919 % 1_000_000:06d}"


def identity_number(rng: random.Random, supplier: str) -> str:
    """A resident-identity-number-like string for a supplier's representative: the area of
    the supplier's home, a birthday, a sequence number and the check character."""
    born = date(1965, 1, 1) + timedelta(days=rng.randint(0, 30 * 365))
    body = f"{AREAS[supplier.split('-')[0]]}{born:%Y%m%d}{rng.randint(1, 999):03d}"
    total = sum(int(digit) * weight for digit, weight in zip(body, _ID_WEIGHTS, strict=True))
    return body + "10X98765432"[total % 11]

# -- 采购标的: the 品目 and unit of each sector's items -------------------------------------
#: The 品目 code (政府采购品目分类目录, 财库〔2022〕31号) and the unit an item of a sector is
#: counted in, by category. Codes marked ✓ are as a province's 2022 集中采购目录 lists them;
#: the others have the catalogue's shape but are stand-ins, 待核 (README, "What we doubt").
ITEM_CODES: Final[dict[tuple[str, str], tuple[str, str]]] = {
    (G, "medical"): ("A02320000", "台"),  # 医疗设备, 待核
    (G, "education"): ("A02100000", "套"),  # 仪器仪表 ✓
    (G, "it"): ("A02010104", "台"),  # 服务器 ✓
    (G, "office"): ("A05010000", "批"),  # 家具 ✓
    (G, "vehicle"): ("A02030500", "辆"),  # 乘用车 ✓
    (G, "agri"): ("A02100000", "套"),  # 仪器仪表 ✓
    (G, "food"): ("A07000000", "批"),  # 待核
    (W, "building"): ("B08000000", "项"),  # 修缮工程, 待核
    (W, "civil"): ("B02000000", "项"),  # 构筑物施工, 待核
    (S, "it"): ("C16000000", "项"),  # 信息技术服务, 待核
    (S, "property"): ("C21040000", "项"),  # 物业管理服务, 待核
}
#: Where a sector has no code of its category above.
OTHER_CODES: Final[dict[str, tuple[str, str]]] = {
    G: ("A02000000", "批"),  # 设备, 待核
    W: ("B99000000", "项"),  # 其他建筑工程, 待核
    S: ("C99000000", "项"),  # 其他服务, 待核
}
