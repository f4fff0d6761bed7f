"""Demo data: a realistic Guangdong-province set-up, in Chinese, for an empty database.

``load_demo_data()`` creates societies, venues, speakers, the brand series, the campaigns of
the current and the next year, about 230 events in every status, and four demo accounts.
The same ``today`` always gives the same data (fixed random seed). Every person, contact
and account is fictional; e-mail addresses use the reserved ``example.org`` domain and the
reserved ``.example`` top-level domain.

The venue and speaker bookings are kept free of conflicts while the data is built, and a
self-check at the end refuses to commit data whose slot-holding occurrences double-book a
venue (buffer included) or a speaker.
"""

import random
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from .accounts.models import Role, User
from .campaigns.models import Campaign, CampaignKind
from .events.enums import SLOT_HOLDING_STATUSES, Audience, EventKind, EventStatus
from .events.models import Event, Occurrence, event_speakers
from .events.occurrences import sync_occurrences
from .events.recurrence import Slot, exdate_key, expand
from .extensions import db
from .people.models import Person
from .planner.models import HostApplication
from .series.models import HostMode, Series
from .societies.models import Society, SocietyKind
from .venues.models import Venue

TZ = ZoneInfo("Asia/Shanghai")
SEED = 20261123
DEMO_PASSWORD = "demo-password"
ONLINE = "gd-cast-online"

P, C, U, E, N, X = (
    SocietyKind.PROVINCIAL,
    SocietyKind.CITY,
    SocietyKind.UNIVERSITY,
    SocietyKind.ENTERPRISE,
    SocietyKind.NATIONAL,
    SocietyKind.PARTNER,
)
A = Audience

# slug, name, short name, kind, discipline, city, contact (fictional), topics of its talks
SOCIETIES = [
    ("gd-computer-society", "广东省计算机学会", "省计算机学会", P, "计算机科学", "广州", "黄丽娟",
     ("大模型技术与产业应用", "开源软件供应链安全", "量子计算入门")),
    ("gd-chemical-society", "广东省化学学会", "省化学学会", P, "化学", "广州", "吴建新",
     ("绿色化学与可持续发展", "新型电池材料中的化学")),
    ("gd-physics-society", "广东省物理学会", "省物理学会", P, "物理学", "广州", "陈永强",
     ("从散裂中子源看大科学装置", "光与物质的相互作用")),
    ("gd-medical-association", "广东省医学会", "省医学会", P, "临床医学", "广州", "林美华",
     ("慢性病防治新进展", "重大传染病防控体系建设")),
    ("gd-agricultural-society", "广东省农学会", "省农学会", P, "农学", "广州", "李国华",
     ("岭南特色水果产业科技", "现代种业与种质资源保护")),
    ("gd-ocean-fisheries-society", "广东省海洋与水产学会", "省海洋与水产学会", P, "海洋科学",
     "广州", "张海燕", ("深远海养殖装备", "南海渔业资源养护")),
    ("gd-mechanical-engineering", "广东省机械工程学会", "省机械工程学会", P, "机械工程", "广州",
     "王建军", ("工业机器人与智能制造", "高端数控机床关键技术")),
    ("gd-electronics-society", "广东省电子学会", "省电子学会", P, "电子信息", "广州", "刘志红",
     ("集成电路设计新趋势", "6G通信前沿技术")),
    ("gd-bme-society", "广东省生物医学工程学会", "省生物医学工程学会", P, "生物医学工程", "广州",
     "杨晓萍", ("医学影像人工智能", "可穿戴健康监测设备")),
    ("gd-automation-society", "广东省自动化学会", "省自动化学会", P, "自动化", "广州", "赵立新",
     ("工业互联网与数字孪生", "智能控制系统安全")),
    ("gd-geography-society", "广东省地理学会", "省地理学会", P, "地理学", "广州", "孙丽珍",
     ("粤港澳大湾区城市群空间格局", "遥感技术与国土空间规划")),
    ("gd-environmental-science", "广东省环境科学学会", "省环境科学学会", P, "环境科学", "广州",
     "马振宇", ("珠江流域水环境治理", "碳达峰碳中和路径")),
    ("gd-pharmaceutical-association", "广东省药学会", "省药学会", P, "药学", "广州", "朱慧敏",
     ("岭南中药资源与创新药物", "合理用药科普")),
    ("gd-meteorological-society", "广东省气象学会", "省气象学会", P, "大气科学", "广州", "胡文斌",
     ("台风预报与防灾减灾", "气候变化与极端天气")),
    ("gd-civil-architecture", "广东省土木建筑学会", "省土木建筑学会", P, "土木工程", "广州",
     "郭志强", ("超高层建筑与智能建造", "城市更新与韧性城市")),
    ("gd-automotive-engineering", "广东省汽车工程学会", "省汽车工程学会", P, "车辆工程", "广州",
     "何俊杰", ("智能网联汽车测试与标准", "动力电池安全技术")),
    ("gd-psychological-society", "广东省心理学会", "省心理学会", P, "心理学", "广州", "高雅琴",
     ("青少年心理健康促进", "科技工作者心理压力调适")),
    ("gd-mathematical-society", "广东省数学会", "省数学会", P, "数学", "广州", "林志远",
     ("数学与人工智能", "密码学中的数学")),
    ("gd-forestry-society", "广东省林学会", "省林学会", P, "林学", "广州", "罗秀英",
     ("红树林保护与修复", "森林碳汇计量与交易")),
    ("gd-nutrition-society", "广东省营养学会", "省营养学会", P, "营养学", "广州", "梁婉仪",
     ("岭南饮食与健康", "老年人营养改善")),
    ("gd-materials-research", "广东省材料研究学会", "省材料研究学会", P, "材料科学", "广州",
     "宋国平", ("新型显示材料", "第三代半导体材料")),
    ("gd-aerospace-society", "广东省航空航天学会", "省航空航天学会", P, "航空航天", "广州",
     "唐海涛", ("低空经济与无人机应用", "商业航天发展机遇")),
    ("gd-tcm-society", "广东省中医药学会", "省中医药学会", P, "中医药", "广州", "冯淑贞",
     ("岭南中医药传承创新", "中医药防治慢病")),
    ("guangzhou-cast", "广州市科学技术协会", "广州市科协", C, "综合", "广州", "谭嘉怡",
     ("科技创新与城市高质量发展", "全民科学素质提升")),
    ("shenzhen-cast", "深圳市科学技术协会", "深圳市科协", C, "综合", "深圳", "曾志华",
     ("深港科技创新合作", "青年科技人才成长")),
    ("zhuhai-cast", "珠海市科学技术协会", "珠海市科协", C, "综合", "珠海", "邱美玲",
     ("横琴粤澳深度合作区科技创新", "海洋装备产业发展")),
    ("foshan-cast", "佛山市科学技术协会", "佛山市科协", C, "综合", "佛山", "潘伟强",
     ("制造业数字化转型", "家电产业智能化升级")),
    ("dongguan-cast", "东莞市科学技术协会", "东莞市科协", C, "综合", "东莞", "钟丽华",
     ("松山湖科学城建设", "中子科学与产业应用")),
    ("shantou-cast", "汕头市科学技术协会", "汕头市科协", C, "综合", "汕头", "蔡少鹏",
     ("侨乡科技合作与交流", "玩具创意产业科技")),
    ("zhanjiang-cast", "湛江市科学技术协会", "湛江市科协", C, "综合", "湛江", "陈海生",
     ("热带农业科技创新", "向海经济发展")),
    ("sysu-cast", "中山大学科学技术协会", "中山大学科协", U, "综合", "广州", "许晓东",
     ("基础研究前沿进展", "交叉学科创新")),
    ("scut-cast", "华南理工大学科学技术协会", "华南理工科协", U, "工程技术", "广州", "彭海军",
     ("高分子材料前沿", "智能制造工程实践")),
    ("sustech-cast", "南方科技大学科学技术协会", "南科大科协", U, "综合", "深圳", "邓雪梅",
     ("量子科学前沿", "新型研发机构与成果转化")),
    ("stu-cast", "汕头大学科学技术协会", "汕头大学科协", U, "综合", "汕头", "黄志坚",
     ("海洋生物技术", "医学教育创新")),
    ("gdou-cast", "广东海洋大学科学技术协会", "广东海洋大学科协", U, "海洋科学", "湛江",
     "吴丽芬", ("海洋牧场建设", "水产种业创新")),
    ("lingnan-intelligent-mfg-cast", "岭南智造集团有限公司科学技术协会", "岭南智造科协", E,
     "智能制造", "佛山", "林家豪", ("智能工厂建设实践", "工业机器人应用")),
    ("pengwan-electronics-cast", "鹏湾电子股份有限公司科学技术协会", "鹏湾电子科协", E,
     "电子信息", "深圳", "郑伟明", ("芯片封装测试技术", "消费电子创新设计")),
    ("songhu-biomed-cast", "松湖生物医药有限公司科学技术协会", "松湖生物科协", E, "生物医药",
     "东莞", "李婉清", ("创新药研发管线管理", "生物药质量控制")),
    ("haiyun-energy-cast", "珠海海韵新能源有限公司科学技术协会", "海韵新能源科协", E, "新能源",
     "珠海", "苏建华", ("储能电站安全运行", "海上风电运维")),
    ("chinese-society-oceanography", "中国海洋学会", "中国海洋学会", N, "海洋科学", "北京",
     "周海宁", ("海洋观测技术进展", "海洋碳汇")),
    ("chinese-association-automation", "中国自动化学会", "中国自动化学会", N, "自动化",
     "北京", "韩立军", ("智能制造标准体系", "自主无人系统")),
    ("gd-science-tech-dept", "广东省科学技术厅", "省科技厅", X, "科技管理", "广州", "卢振东",
     ("科技政策解读",)),
    ("gd-federation-commerce", "广东省工商业联合会", "省工商联", X, "工商经济", "广州",
     "江佩珊", ("民营企业创新发展",)),
]  # fmt: skip

# slug, name, address, city, capacity, latitude, longitude, buffer minutes
VENUES = [
    ("gd-science-hall-lecture", "广东科学馆 大讲堂", "广州市越秀区连新路171号", "广州", 400,
     23.1355, 113.2702, 30),
    ("gd-science-hall-forum", "广东科学馆 多功能厅", "广州市越秀区连新路171号", "广州", 300,
     23.1355, 113.2702, 30),
    ("gd-science-hall-room1", "广东科学馆 第一会议室", "广州市越秀区连新路171号", "广州", 80,
     23.1355, 113.2702, 30),
    ("gd-science-center-hall", "广东科学中心 学术报告厅", "广州市番禺区大学城西六路168号", "广州",
     600, 23.0405, 113.3700, 60),
    ("gd-science-center-plaza", "广东科学中心 科普广场", "广州市番禺区大学城西六路168号", "广州",
     1200, 23.0398, 113.3712, 60),
    ("shenzhen-convention-hall5", "深圳会展中心 5号馆会议区", "深圳市福田区福华三路111号", "深圳",
     1200, 22.5313, 114.0577, 60),
    ("shenzhen-science-museum", "深圳市科学馆 报告厅", "深圳市福田区上步中路1003号", "深圳", 350,
     22.5466, 114.0937, 30),
    ("zhuhai-convention-center", "珠海国际会展中心 会议厅", "珠海市香洲区情侣南路", "珠海", 800,
     22.2520, 113.5880, 60),
    ("foshan-science-museum", "佛山科学技术馆 报告厅", "佛山市禅城区汾江中路", "佛山", 250,
     23.0300, 113.1130, 30),
    ("dongguan-songshanhu-center", "松山湖科技会展中心 报告厅", "东莞市松山湖高新区科技大道",
     "东莞", 500, 22.9236, 113.8906, 30),
    ("shantou-stu-center", "汕头大学 学术交流中心", "汕头市金平区大学路243号", "汕头", 300,
     23.4180, 116.6370, 30),
    ("zhanjiang-gdou-hall", "广东海洋大学 海洋科技报告厅", "湛江市麻章区海大路1号", "湛江", 200,
     21.1530, 110.3030, 30),
]  # fmt: skip

CITY_VENUES = {
    "广州": ("gd-science-hall-forum", "gd-science-center-hall", "gd-science-hall-lecture",
             "gd-science-hall-room1"),
    "深圳": ("shenzhen-science-museum", "shenzhen-convention-hall5"),
    "珠海": ("zhuhai-convention-center",),
    "佛山": ("foshan-science-museum",),
    "东莞": ("dongguan-songshanhu-center",),
    "汕头": ("shantou-stu-center",),
    "湛江": ("zhanjiang-gdou-hall",),
}  # fmt: skip

_CITY_SLUG = {
    "广州": "guangzhou",
    "深圳": "shenzhen",
    "珠海": "zhuhai",
    "佛山": "foshan",
    "东莞": "dongguan",
    "汕头": "shantou",
    "湛江": "zhanjiang",
}

# slug, name (fictional), title, affiliation
PEOPLE = [
    ("lin-haichuan", "林海川", "中国科学院院士", "中山大学"),
    ("chen-siyuan", "陈思远", "中国工程院院士", "华南理工大学"),
    ("huang-zhenhua", "黄振华", "中国科学院院士", "南方科技大学"),
    ("zhou-lide", "周立德", "中国工程院院士", "广东省农业科学院"),
    ("li-jiaxin", "李嘉欣", "教授", "中山大学"),
    ("wu-zhiming", "吴志明", "教授", "华南理工大学"),
    ("zheng-wanting", "郑婉婷", "教授", "南方医科大学"),
    ("liang-guodong", "梁国栋", "研究员", "广东省科学院"),
    ("he-xiaoming", "何晓明", "教授", "汕头大学"),
    ("liu-peiling", "刘佩玲", "主任医师", "广东省人民医院"),
    ("xu-wentao", "许文涛", "教授级高级工程师", "鹏湾电子股份有限公司"),
    ("xie-yutong", "谢雨桐", "副教授", "广东海洋大学"),
    ("luo-jianping", "罗建平", "正高级工程师", "广东省气候中心"),
    ("cai-qiuyun", "蔡秋云", "教授", "暨南大学"),
    ("deng-qihang", "邓启航", "高级工程师", "岭南智造集团有限公司"),
    ("ouyang-mingyuan", "欧阳明远", "教授", "深圳大学"),
]
ACADEMICIANS = ("lin-haichuan", "chen-siyuan", "huang-zhenhua", "zhou-lide")
EXPERTS = tuple(p[0] for p in PEOPLE if p[0] not in ACADEMICIANS)
INDUSTRY_SPEAKERS = (
    "xu-wentao",
    "deng-qihang",
    "wu-zhiming",
    "liang-guodong",
    "ouyang-mingyuan",
    "cai-qiuyun",
)

# The ten sessions of the current year: host, theme, preferred venue (one a month, Mar-Dec).
LINGNAN_THIS_YEAR = [
    ("gd-electronics-society", "粤港澳大湾区集成电路产业创新发展", "gd-science-center-hall"),
    ("gd-ocean-fisheries-society", "海洋经济高质量发展与南海生态保护", "zhanjiang-gdou-hall"),
    ("gd-bme-society", "人工智能赋能智慧医疗", "gd-science-hall-lecture"),
    ("gd-tcm-society", "岭南中医药传承创新与大健康产业", "gd-science-hall-forum"),
    ("gd-environmental-science", "新型储能与碳达峰碳中和", "shenzhen-convention-hall5"),
    ("gd-agricultural-society", "现代种业与乡村振兴", "gd-science-hall-lecture"),
    ("gd-computer-society", "大模型时代的算力基础设施", "shenzhen-science-museum"),
    ("gd-automotive-engineering", "智能网联汽车与智慧交通", "foshan-science-museum"),
    ("gd-pharmaceutical-association", "生物医药创新与公共卫生安全", "shantou-stu-center"),
    ("gd-materials-research", "先进材料与高端制造", "dongguan-songshanhu-center"),
]
# Sessions of the next year already applied for (Mar-Jun): host, theme, venue, status.
LINGNAN_NEXT_YEAR = [
    ("gd-physics-society", "大科学装置与基础研究", "dongguan-songshanhu-center",
     EventStatus.APPROVED),
    ("gd-meteorological-society", "气候变化与城市韧性", "gd-science-center-hall",
     EventStatus.SUBMITTED),
    ("gd-mathematical-society", "数学与人工智能的交叉前沿", "gd-science-hall-forum",
     EventStatus.SUBMITTED),
    ("gd-civil-architecture", "智能建造与城市更新", "shenzhen-science-museum", EventStatus.DRAFT),
]  # fmt: skip

# The designated society that hosts every session of 学会大讲堂 (a fixed host).
LECTURE_HALL_HOST = "guangzhou-cast"
BIWEEKLY_HOSTS = (
    "lingnan-intelligent-mfg-cast",
    "gd-computer-society",
    "pengwan-electronics-cast",
    "gd-mechanical-engineering",
    "songhu-biomed-cast",
    "gd-electronics-society",
    "haiyun-energy-cast",
    "gd-automation-society",
    "scut-cast",
    "gd-automotive-engineering",
    "gd-materials-research",
    "sustech-cast",
    "gd-chemical-society",
    "gd-bme-society",
)
BIWEEKLY_TOPICS = (
    "智能制造与工业互联网平台建设",
    "半导体产业链协同创新",
    "新能源汽车动力电池回收利用",
    "海上风电装备国产化",
    "生物医药成果转化与临床试验",
    "数字孪生工厂实践",
    "专精特新企业知识产权保护",
    "工业软件自主可控",
    "绿色低碳工厂建设",
    "企业研发费用加计扣除政策解读",
    "高新技术企业认定实务",
    "产学研协同创新机制",
    "智能家电与物联网",
    "5G+工业应用场景",
    "氢能产业发展机遇",
    "新型显示产业技术路线",
    "机器人核心零部件攻关",
    "企业数据安全合规",
    "科技金融与创新型企业融资",
    "低空经济产业发展",
    "食品工业智能化升级",
    "医疗器械注册与创新审批",
    "超高清视频产业发展",
    "工程技术人才职称评审改革解读",
    "企业科协建设与工程师队伍培养",
    "跨境电商与数字贸易",
)
# Biweekly sessions that visit an enterprise city instead of the Guangzhou hall.
BIWEEKLY_VISITS = ("dongguan-songshanhu-center", "foshan-science-museum", "shenzhen-science-museum")

ACADEMIC_MONTH_HOSTS = {
    0: ("gd-computer-society", "gd-chemical-society", "gd-physics-society",
        "gd-medical-association", "gd-mechanical-engineering", "gd-geography-society",
        "gd-meteorological-society", "gd-civil-architecture", "gd-psychological-society",
        "gd-mathematical-society", "gd-forestry-society", "gd-nutrition-society",
        "shenzhen-cast", "zhuhai-cast", "foshan-cast", "shantou-cast", "sysu-cast",
        "sustech-cast", "gdou-cast", "chinese-society-oceanography"),
    1: ("gd-automation-society", "gd-electronics-society", "gd-agricultural-society",
        "gd-tcm-society", "dongguan-cast", "scut-cast", "stu-cast",
        "chinese-association-automation"),
}  # fmt: skip
ACADEMIC_MONTH_THEMES = ("面向湾区创新 共筑科技强省", "科技自立自强 赋能高质量发展")
ACADEMIC_TITLES = ("{topic}学术研讨会", "{topic}学术报告会", "{topic}青年学者论坛")

SALON_THEMES = ("科技社团党建工作", "一流科技期刊建设", "企业创新服务")
SALON_HOSTS = {
    0: ("gd-geography-society", "gd-forestry-society", "gd-chemical-society"),
    1: ("gd-psychological-society", "gd-nutrition-society", "gd-aerospace-society"),
}


class DemoDataError(RuntimeError):
    """The demo data cannot be loaded (database not empty, or the data would conflict)."""


def _at(day: date, hhmm: str) -> datetime:
    """Local wall time on ``day`` as aware UTC."""
    hour, minute = (int(part) for part in hhmm.split(":"))
    return datetime.combine(day, time(hour, minute), tzinfo=TZ).astimezone(UTC)


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=TZ).astimezone(UTC)


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))


def _launch_day(year: int, off: set[date]) -> date:
    """The first working day after the National Day break (the academic month launch)."""
    day = date(year, 10, 8)
    while day.weekday() >= 5 or day in off:
        day += timedelta(days=1)
    return day


def _science_day_week(year: int) -> tuple[date, date]:
    """全国科普日: the week starting on the Saturday between 12 and 18 September."""
    start = date(year, 9, 12)
    start += timedelta(days=(5 - start.weekday()) % 7)
    return start, start + timedelta(days=6)


def _innovation_week(year: int) -> tuple[date, date]:
    """双创活动周: Monday to Sunday of the week whose Monday falls on 12-18 October."""
    start = date(year, 10, 12)
    start += timedelta(days=(0 - start.weekday()) % 7)
    return start, start + timedelta(days=6)


class _Ledger:
    """Time slots held per venue and per speaker while the demo data is built."""

    def __init__(self) -> None:
        self.venues: dict[str, list[tuple[datetime, datetime]]] = defaultdict(list)
        self.people: dict[str, list[tuple[datetime, datetime]]] = defaultdict(list)

    def free(self, venue: Venue | None, people: Sequence[Person], slots: Sequence[Slot]) -> bool:
        if venue is not None and not venue.is_online:
            pad = timedelta(minutes=venue.buffer_minutes)
            for begin, end in self.venues[venue.slug]:
                if any(s.start < end + pad and begin < s.end + pad for s in slots):
                    return False
        for person in people:
            for begin, end in self.people[person.slug]:
                if any(s.start < end and begin < s.end for s in slots):
                    return False
        return True

    def hold(self, venue: Venue | None, people: Sequence[Person], slots: Sequence[Slot]) -> None:
        for slot in slots:
            if venue is not None and not venue.is_online:
                self.venues[venue.slug].append((slot.start, slot.end))
            for person in people:
                self.people[person.slug].append((slot.start, slot.end))


class _Demo:
    def __init__(self, today: date) -> None:
        self.today = today
        self.year = today.year
        self.now = _at(today, "09:00")
        self.rng = random.Random(SEED)
        self.ledger = _Ledger()
        self.off: set[date] = set()  # statutory days off
        self.workdays: set[date] = set()  # make-up working days on weekends (调休)
        self.societies: dict[str, Society] = {}
        self.venues: dict[str, Venue] = {}
        self.people: dict[str, Person] = {}
        self.series: dict[str, Series] = {}
        self.campaigns: dict[str, Campaign] = {}
        self.editors: dict[str, User] = {}
        self.organizer: User | None = None
        self.events: list[Event] = []
        self.host_topics: dict[str, tuple[str, ...]] = {}
        self.topic_turn: dict[str, int] = defaultdict(int)

    # ----------------------------------------------------------------- reference data

    def load_holidays(self) -> None:
        """The official (or provisional) holidays, as the conflict engine will see them."""
        from .holidays.service import holidays_for_range

        found = holidays_for_range(date(self.year, 1, 1), date(self.year + 1, 12, 31))
        for year in found.values():
            self.off |= set(year.days_off)
            self.workdays |= set(year.workdays)

    def free_day(self, day: date) -> bool:
        """Neither a day off nor a make-up working day (both draw holiday warnings)."""
        return day not in self.off and day not in self.workdays

    def build_directory(self) -> None:
        for slug, name, short, kind, discipline, city, contact, topics in SOCIETIES:
            society = Society(
                slug=slug,
                name=name,
                short_name=short,
                kind=kind,
                discipline=discipline,
                city=city,
                contact_name=contact,
                contact_email=f"{slug}@example.org",
                min_events_per_year=0 if kind == X else 1,
            )
            self.societies[slug] = society
            self.host_topics[slug] = topics
        for slug, name, address, city, capacity, lat, lon, buffer in VENUES:
            self.venues[slug] = Venue(
                slug=slug,
                name=name,
                address=address,
                city=city,
                capacity=capacity,
                latitude=lat,
                longitude=lon,
                buffer_minutes=buffer,
            )
        self.venues[ONLINE] = Venue(
            slug=ONLINE,
            name="广东科协线上直播间",
            address="线上",
            city="",
            capacity=1200,
            buffer_minutes=0,
            is_online=True,
            stream_url="https://live.example.org/gd-cast",
        )
        for slug, name, title, affiliation in PEOPLE:
            self.people[slug] = Person(slug=slug, name=name, title=title, affiliation=affiliation)
        db.session.add_all([*self.societies.values(), *self.venues.values()])
        db.session.add_all(self.people.values())

    def build_users(self) -> None:
        self.organizer = User(
            email="organizer@demo.example", name="陈晓雯（省科协学会学术部）", role=Role.ORGANIZER
        )
        editors = [
            ("editor.lingnan@demo.example", "黄丽娟", "gd-computer-society"),
            ("editor.shenzhen@demo.example", "曾志华", "shenzhen-cast"),
            ("editor.scut@demo.example", "彭海军", "scut-cast"),
        ]
        users = [self.organizer]
        for email, name, society in editors:
            user = User(email=email, name=name, role=Role.EDITOR, society=self.societies[society])
            self.editors[society] = user
            users.append(user)
        self.organizer.set_password(DEMO_PASSWORD)
        for user in users[1:]:  # the same password: hash it once (scrypt is slow on purpose)
            user.password_hash = self.organizer.password_hash
        db.session.add_all(users)

    def build_series(self) -> None:
        v = self.venues
        self.series = {
            "lingnan-forum": Series(
                slug="lingnan-forum",
                name="岭南科学论坛",
                kind=EventKind.FORUM,
                description="省科协品牌学术论坛，全年举办10期，每期由一家团体会员承办。",
                target_min=10,
                target_max=10,
                max_per_host=1,
                preferred_months=list(range(3, 13)),
                default_start_time="14:30",
                duration_minutes=180,
                min_spacing_days=14,
                expected_attendance=300,
                color="#c0392b",
            ),
            "enterprise-biweekly": Series(
                slug="enterprise-biweekly",
                name="企业双周论坛",
                kind=EventKind.FORUM,
                description="省科协与省科技厅、省工商联联合主办，面向产业与企业需求，每两周一期。",
                cadence_rrule="FREQ=WEEKLY;INTERVAL=2;BYDAY=TH",
                target_min=24,
                target_max=26,
                max_per_host=3,
                default_venue=v["gd-science-hall-forum"],
                default_start_time="14:30",
                duration_minutes=150,
                min_spacing_days=10,
                expected_attendance=180,
                color="#2e7d32",
            ),
            "society-lecture-hall": Series(
                slug="society-lecture-hall",
                name="学会大讲堂",
                kind=EventKind.LECTURE,
                description="每周六上午在广东科学馆大讲堂举办，由不同学会的专家主讲；"
                "面向公众，节假日照常开讲，春节、五一和国庆长假停讲。",
                cadence_rrule="FREQ=WEEKLY;BYDAY=SA",
                target_min=48,
                target_max=52,
                max_per_host=4,
                default_venue=v["gd-science-hall-lecture"],
                default_start_time="10:00",
                duration_minutes=120,
                min_spacing_days=7,
                expected_attendance=250,
                avoid_holidays=False,
                color="#1f6feb",
                # The hall is booked by one designated society (speakers change each week):
                # the planner needs no host applications for it.
                host_mode=HostMode.FIXED,
                fixed_host=self.societies[LECTURE_HALL_HOST],
            ),
            "secretary-salon": Series(
                slug="secretary-salon",
                name="秘书长沙龙",
                kind=EventKind.SALON,
                description="省级学会、地市科协秘书长交流研讨，每年3次。",
                target_min=3,
                target_max=3,
                max_per_host=1,
                preferred_months=[4, 7, 11],
                default_venue=v["gd-science-hall-room1"],
                default_start_time="14:30",
                duration_minutes=150,
                min_spacing_days=60,
                expected_attendance=60,
                color="#8e44ad",
            ),
            "journal-forum": Series(
                slug="journal-forum",
                name="期刊发展论坛",
                kind=EventKind.CONFERENCE,
                description="省级学会科技期刊发展论坛，每年3月举办。",
                target_min=1,
                target_max=1,
                max_per_host=1,
                preferred_months=[3],
                default_venue=v["gd-science-hall-forum"],
                default_start_time="09:00",
                duration_minutes=480,
                expected_attendance=200,
                color="#d35400",
            ),
        }
        db.session.add_all(self.series.values())

    def build_campaigns(self) -> None:
        for offset in (0, 1):
            year = self.year + offset
            launch = _launch_day(year, self.off)
            sd_start, sd_end = _science_day_week(year)
            iw_start, iw_end = _innovation_week(year)
            items = [
                Campaign(
                    slug=f"academic-month-{year}",
                    name=f"第{year - 2002}届广东省科协学术活动月",
                    kind=CampaignKind.ACADEMIC_MONTH,
                    theme=ACADEMIC_MONTH_THEMES[offset],
                    description="全省科协系统统一主题、同一时间启动，结合全国“双创”活动周开展。",
                    start_date=date(year, 10, 1),
                    end_date=date(year, 10, 31),
                    launch_at=_at(launch, "09:30"),
                    participation_target=0.6,
                ),
                Campaign(
                    slug=f"science-day-{year}",
                    name=f"{year}年全国科普日（广东）",
                    kind=CampaignKind.SCIENCE_DAY,
                    theme="提升全民科学素质 协力建设科技强国",
                    description="面向青少年、农民、产业工人、老年人和领导干部的群众性科普活动。",
                    start_date=sd_start,
                    end_date=sd_end,
                    participation_target=0.4,
                ),
                Campaign(
                    slug=f"scientists-day-{year}",
                    name=f"{year}年全国科技工作者日",
                    kind=CampaignKind.SCIENCE_DAY,
                    theme="弘扬科学家精神",
                    description="5月30日全国科技工作者日系列活动。",
                    start_date=date(year, 5, 30),
                    end_date=date(year, 5, 30),
                ),
                Campaign(
                    slug=f"innovation-week-{year}",
                    name=f"{year}年全国大众创业万众创新活动周（广东）",
                    kind=CampaignKind.INNOVATION_WEEK,
                    theme="创新创造 创业兴业",
                    description="与学术活动月联动举办的双创成果展示、路演与大赛。",
                    start_date=iw_start,
                    end_date=iw_end,
                ),
            ]
            for campaign in items:
                self.campaigns[campaign.slug] = campaign
        db.session.add_all(self.campaigns.values())

    # ----------------------------------------------------------------- events

    def auto_status(self, start: datetime, last_end: datetime) -> EventStatus:
        if last_end <= self.now:
            if self.now - last_end < timedelta(days=10):
                return EventStatus.APPROVED  # held, attendance not yet recorded
            return EventStatus.COMPLETED
        if start <= self.now:
            return EventStatus.APPROVED  # a recurring event under way
        ahead = (start - self.now).days
        roll = self.rng.random()
        if ahead < 90:
            return EventStatus.APPROVED if roll < 0.85 else EventStatus.SUBMITTED
        if ahead < 240:
            if roll < 0.55:
                return EventStatus.APPROVED
            return EventStatus.SUBMITTED if roll < 0.9 else EventStatus.DRAFT
        if roll < 0.3:
            return EventStatus.APPROVED
        return EventStatus.SUBMITTED if roll < 0.7 else EventStatus.DRAFT

    def place(
        self,
        candidates: Iterable[tuple[datetime, datetime]],
        venues: Sequence[str],
        speaker_choices: Sequence[Sequence[str]] = ((),),
        not_before: datetime | None = None,
    ) -> tuple[datetime, datetime, Venue, list[Person]]:
        """The first candidate slot, venue and speakers that are all free."""
        for start, end in candidates:
            if not_before is not None and start < not_before:
                continue
            slots = [Slot(start, end, start)]
            for venue_slug in venues:
                venue = self.venues[venue_slug]
                for choice in speaker_choices:
                    speakers = [self.people[s] for s in choice]
                    if self.ledger.free(venue, speakers, slots):
                        return start, end, venue, speakers
        raise DemoDataError(f"no free slot in {list(venues)}")

    def timed(self, days: Iterable[date], times: Sequence[str], minutes: int):
        for day in days:
            for hhmm in times:
                start = _at(day, hhmm)
                yield start, start + timedelta(minutes=minutes)

    def all_days(self, days: Iterable[date], length: int):
        for day in days:
            yield _midnight(day), _midnight(day + timedelta(days=length))

    def working(self, days: Iterable[date], weekdays=(0, 1, 2, 3, 4)) -> list[date]:
        return [d for d in days if d.weekday() in weekdays and self.free_day(d)]

    def topic(self, host: str) -> str:
        topics = self.host_topics[host]
        turn = self.topic_turn[host]
        self.topic_turn[host] += 1
        return topics[turn % len(topics)]

    def event(
        self,
        title: str,
        kind: EventKind,
        host: str,
        start: datetime,
        end: datetime,
        venue: Venue | None,
        *,
        status: EventStatus | None = None,
        series: str | None = None,
        campaign: str | None = None,
        all_day: bool = False,
        rrule: str = "",
        exdates: Sequence[str] = (),
        speakers: Sequence[Person] = (),
        cohosts: Sequence[str] = (),
        organizers: Sequence[str] = (),
        audiences: Sequence[Audience] = (),
        expected: int | None = None,
        is_major: bool = False,
        online: bool = False,
        description: str = "",
        reason: str = "",
        allow_overlap: bool = False,
    ) -> Event:
        if online:
            venue = self.venues[ONLINE]
        slots = expand(start, end, rrule, list(exdates), TZ, all_day=all_day)
        if not allow_overlap:
            if not self.ledger.free(venue, speakers, slots):
                raise DemoDataError(f"demo event {title!r} would double-book")
            self.ledger.hold(venue, speakers, slots)
        if status is None:
            status = self.auto_status(slots[0].start, slots[-1].end)
        capacity = venue.capacity if venue is not None else 300
        if expected is None:
            expected = int(capacity * self.rng.uniform(0.5, 0.85))
        expected = min(expected, capacity)
        society = self.societies[host]
        if not description:
            helpers = "、".join(self.societies[c].name for c in cohosts)
            description = f"{title}。本活动由{society.name}承办" + (
                f"，{helpers}协办。" if helpers else "。"
            )
        lead = timedelta(days=45 if is_major else self.rng.randint(20, 40))
        created = min(start - lead, self.now - timedelta(days=self.rng.randint(2, 20)))
        submitted = None if status == EventStatus.DRAFT else created + timedelta(days=1)
        updated = submitted or created
        if status in (
            EventStatus.APPROVED,
            EventStatus.REJECTED,
            EventStatus.CHANGES_REQUESTED,
            EventStatus.WITHDRAWN,
        ):
            updated = min(updated + timedelta(days=3), self.now)
        elif status == EventStatus.COMPLETED:
            updated = min(slots[-1].end + timedelta(days=2), self.now)
        elif status == EventStatus.CANCELLED:
            updated = min(start - timedelta(days=1), self.now)
        editor = self.editors.get(host)
        ev = Event(
            title=title,
            description=description,
            kind=kind,
            status=status,
            decision_reason=reason,
            series=self.series[series] if series else None,
            campaign=self.campaigns[campaign] if campaign else None,
            host=society,
            venue=venue,
            online_url=f"https://live.example.org/room/{len(self.events) + 1:04d}"
            if online
            else "",
            start_at=start,
            end_at=end,
            all_day=all_day,
            rrule=rrule,
            exdates=list(exdates),
            expected_attendance=expected,
            actual_attendance=(
                min(capacity, round(expected * self.rng.uniform(0.72, 1.05)))
                if status == EventStatus.COMPLETED
                else None
            ),
            is_major=is_major,
            sequence=1 if status == EventStatus.CANCELLED else 0,
            submitted_at=submitted,
            created_at=created,
            updated_at=updated,
            created_by_id=(editor or self.organizer).id,
        )
        ev.cohosts = [self.societies[c] for c in cohosts]
        ev.organizers = [self.societies[o] for o in organizers]
        ev.speakers = list(speakers)
        ev.audiences = audiences
        db.session.add(ev)
        sync_occurrences(ev)
        self.events.append(ev)
        return ev

    # ----------------------------------------------------------------- the series

    def lecture_hall(self) -> None:
        hall = "gd-science-hall-lecture"
        hosts = [s[0] for s in SOCIETIES if s[3] in (P, U)]
        speakers = [ACADEMICIANS[i // 6 % 4] if i % 6 == 5 else EXPERTS[i % len(EXPERTS)]
                    for i in range(48)]  # fmt: skip
        index, typhoon_cancelled = 0, False
        for year, last_month in ((self.year, 12), (self.year + 1, 6)):
            saturdays = [
                d
                for d in _days(
                    date(year, 1, 1), date(year, last_month, 30 if last_month == 6 else 31)
                )
                if d.weekday() == 5
            ]
            number = 0
            for sat in saturdays:
                fri, mon = sat - timedelta(days=1), sat + timedelta(days=2)
                if fri in self.off and mon in self.off:  # Spring Festival, May Day, National Day
                    continue
                number += 1
                host = hosts[index % len(hosts)]
                choices = [[speakers[(index + k) % len(speakers)]] for k in range(len(speakers))]
                start, end, venue, people = self.place(
                    self.timed([sat], ["10:00"], 120), [hall], choices
                )
                status, reason = None, ""
                if year == self.year and sat.month == 9 and not typhoon_cancelled:
                    status, reason = EventStatus.CANCELLED, "受台风影响，根据气象预警本讲取消。"
                    typhoon_cancelled = True
                self.event(
                    f"学会大讲堂（第{number}讲）：{self.topic(host)}",
                    EventKind.LECTURE,
                    host,
                    start,
                    end,
                    venue,
                    status=status,
                    reason=reason,
                    series="society-lecture-hall",
                    speakers=people,
                    audiences=(A.PUBLIC, A.YOUTH),
                    expected=self.rng.randint(180, 360),
                )
                index += 1

    def biweekly(self) -> None:
        first = date(self.year, 1, 5)
        first += timedelta(days=(3 - first.weekday()) % 7)
        day, index = first, 0
        numbers = {self.year: 0, self.year + 1: 0}
        while day.year <= self.year + 1:
            if self.free_day(day):
                numbers[day.year] += 1
                host = BIWEEKLY_HOSTS[index % len(BIWEEKLY_HOSTS)]
                visit = index % 4 == 3
                venues = [BIWEEKLY_VISITS[index // 4 % 3]] if visit else []
                venues.append("gd-science-hall-forum")
                choices = [[INDUSTRY_SPEAKERS[(index + k) % len(INDUSTRY_SPEAKERS)]]
                           for k in range(len(INDUSTRY_SPEAKERS))]  # fmt: skip
                start, end, venue, people = self.place(
                    self.timed([day], ["14:30"], 150), venues, choices
                )
                topic = BIWEEKLY_TOPICS[index % len(BIWEEKLY_TOPICS)]
                self.event(
                    f"企业双周论坛第{numbers[day.year]}期：{topic}",
                    EventKind.FORUM,
                    host,
                    start,
                    end,
                    venue,
                    series="enterprise-biweekly",
                    organizers=("gd-science-tech-dept", "gd-federation-commerce"),
                    speakers=people,
                    audiences=(A.ENTERPRISES, A.SCIENTISTS),
                    expected=self.rng.randint(120, 240),
                )
                index += 1
            day += timedelta(days=14)

    def lingnan(self) -> None:
        y = self.year
        plans = [(y, 3 + i, host, theme, venue, None)
                 for i, (host, theme, venue) in enumerate(LINGNAN_THIS_YEAR)]  # fmt: skip
        plans += [(y + 1, 3 + i, host, theme, venue, status)
                  for i, (host, theme, venue, status) in enumerate(LINGNAN_NEXT_YEAR)]  # fmt: skip
        numbers: dict[int, int] = defaultdict(int)
        for i, (year, month, host, theme, venue_slug, status) in enumerate(plans):
            numbers[year] += 1
            last = (date(year + month // 12, month % 12 + 1, 1)) - timedelta(days=1)
            days = self.working(_days(date(year, month, 12), last), weekdays=(1, 2, 3, 4))
            city = self.venues[venue_slug].city
            venues = [venue_slug, *[v for v in CITY_VENUES[city] if v != venue_slug]]
            choices = [
                [ACADEMICIANS[(i + k) % 4], EXPERTS[(i * 5 + k) % len(EXPERTS)]] for k in range(8)
            ]
            start, end, venue, people = self.place(
                self.timed(days, ["14:30"], 180), venues, choices
            )
            cohost = "guangzhou-cast" if city == "广州" else f"{_CITY_SLUG[city]}-cast"
            self.event(
                f"{year}年岭南科学论坛第{numbers[year]}期：{theme}",
                EventKind.FORUM,
                host,
                start,
                end,
                venue,
                status=status,
                series="lingnan-forum",
                speakers=people,
                cohosts=(cohost,),
                audiences=(A.SCIENTISTS,),
                expected=min(venue.capacity, self.rng.randint(180, 350)),
            )

    def salons_and_meetings(self) -> None:
        for offset in (0, 1):
            year = self.year + offset
            for k, month in enumerate((4, 7, 11)):
                host = SALON_HOSTS[offset][k]
                days = self.working(_days(date(year, month, 8), date(year, month, 25)), (1, 2, 3))
                start, end, venue, _ = self.place(
                    self.timed(days, ["14:30"], 150), ["gd-science-hall-room1"]
                )
                self.event(
                    f"{year}年第{k + 1}次秘书长沙龙：{SALON_THEMES[k]}",
                    EventKind.SALON,
                    host,
                    start,
                    end,
                    venue,
                    series="secretary-salon",
                    audiences=(A.OFFICIALS,),
                    expected=self.rng.randint(40, 70),
                )
            host = ("gd-medical-association", "gd-chemical-society")[offset]
            days = self.working(_days(date(year, 3, 10), date(year, 3, 31)), (1, 2))
            start, end, venue, _ = self.place(
                self.timed(days, ["09:00"], 480),
                ["gd-science-hall-forum", "gd-science-center-hall"],
            )
            self.event(
                f"{year}年广东省省级学会科技期刊发展论坛",
                EventKind.CONFERENCE,
                host,
                start,
                end,
                venue,
                series="journal-forum",
                cohosts=("gd-computer-society", "gd-pharmaceutical-association"),
                speakers=[self.people["cai-qiuyun"]],
                audiences=(A.SCIENTISTS,),
                expected=self.rng.randint(150, 240),
            )
            days = self.working(_days(date(year, 12, 1), date(year, 12, 20)), (1, 2, 3, 4))
            start, end, venue, _ = self.place(
                self.timed(days, ["09:00"], 210), ["gd-science-center-hall"]
            )
            self.event(
                f"{year}年全省学会工作会议",
                EventKind.CONFERENCE,
                "guangzhou-cast",
                start,
                end,
                venue,
                is_major=True,
                audiences=(A.OFFICIALS,),
                expected=450,
                description="总结全年学会工作，部署下一年度重点任务，通报学会综合能力评估结果。",
            )

    # ----------------------------------------------------------------- campaigns

    def academic_month(self) -> None:
        for offset in (0, 1):
            year = self.year + offset
            campaign = self.campaigns[f"academic-month-{year}"]
            launch = campaign.launch_at
            launch_day = launch.astimezone(TZ).date()
            ceremony_host = ("guangzhou-cast", "shenzhen-cast")[offset]
            ceremony_venue = ("gd-science-center-hall", "shenzhen-convention-hall5")[offset]
            keynote = self.people[ACADEMICIANS[offset]]
            self.event(
                f"{campaign.name}启动仪式暨主旨报告会",
                EventKind.ACADEMIC_MONTH,
                ceremony_host,
                launch,
                launch + timedelta(minutes=120),
                self.venues[ceremony_venue],
                status=EventStatus.APPROVED if launch > self.now else None,
                campaign=campaign.slug,
                speakers=[keynote],
                cohosts=("sysu-cast", "scut-cast"),
                audiences=(A.SCIENTISTS, A.OFFICIALS),
                expected=500,
                is_major=True,
                description=f"主题：{campaign.theme}。全省科协系统在同一时间统一启动学术活动月。",
            )
            days = [d for d in _days(launch_day, date(year, 10, 31)) if self.free_day(d)]
            for i, host in enumerate(ACADEMIC_MONTH_HOSTS[offset]):
                city = self.societies[host].city
                venues = CITY_VENUES.get(city, CITY_VENUES["广州"])
                venues = venues[i % len(venues) :] + venues[: i % len(venues)]
                online = i % 6 == 5
                shift = (i * 5) % len(days)
                order = days[shift:] + days[:shift]
                choices = [[]] if i % 3 else [[EXPERTS[(i + k) % len(EXPERTS)]] for k in range(6)]
                start, end, venue, people = self.place(
                    self.timed(order, ["14:30", "09:00"], 180),
                    [ONLINE] if online else venues,
                    choices,
                    not_before=launch,
                )
                topic = self.topic(host)
                self.event(
                    ACADEMIC_TITLES[i % 3].format(topic=topic),
                    EventKind.ACADEMIC_MONTH,
                    host,
                    start,
                    end,
                    venue,
                    campaign=campaign.slug,
                    speakers=people,
                    online=online,
                    audiences=(A.SCIENTISTS,) if i % 4 else (A.SCIENTISTS, A.YOUTH),
                    expected=self.rng.randint(60, 260),
                )

    def innovation_week(self) -> None:
        for offset in (0, 1):
            year = self.year + offset
            slug = f"innovation-week-{year}"
            first, last = _innovation_week(year)
            week = _days(first, last)
            start, end, venue, _ = self.place(
                self.all_days(week[:5], 3), ["shenzhen-convention-hall5"]
            )
            self.event(
                f"{year}年双创活动周·粤港澳大湾区科技成果展",
                EventKind.EXHIBITION,
                "shenzhen-cast",
                start,
                end,
                venue,
                campaign=slug,
                all_day=True,
                is_major=True,
                cohosts=("pengwan-electronics-cast", "sustech-cast"),
                audiences=(A.ENTERPRISES, A.PUBLIC),
                expected=1000,
            )
            start, end, venue, _ = self.place(
                self.timed(week[4:] + week[:4], ["09:00"], 510), ["zhuhai-convention-center"]
            )
            self.event(
                f"{year}年粤港澳大湾区青年创新创业大赛决赛",
                EventKind.COMPETITION,
                "zhuhai-cast",
                start,
                end,
                venue,
                campaign=slug,
                cohosts=("haiyun-energy-cast",),
                audiences=(A.YOUTH, A.ENTERPRISES),
                expected=self.rng.randint(400, 700),
            )
            if offset:
                continue
            start, end, venue, _ = self.place(
                self.timed(self.working(week), ["14:00"], 210), ["gd-science-center-hall"]
            )
            self.event(
                "高校科技成果转化路演",
                EventKind.FORUM,
                "scut-cast",
                start,
                end,
                venue,
                campaign=slug,
                cohosts=("sysu-cast",),
                audiences=(A.ENTERPRISES,),
            )
            start, end, venue, _ = self.place(
                self.timed(self.working(week), ["19:00"], 120), [ONLINE]
            )
            self.event(
                "专利布局与科技成果转化实务培训（线上）",
                EventKind.TRAINING,
                "songhu-biomed-cast",
                start,
                end,
                venue,
                campaign=slug,
                online=True,
                audiences=(A.ENTERPRISES, A.SCIENTISTS),
                expected=self.rng.randint(300, 900),
            )

    def science_day(self) -> None:
        # host, title, audiences, venues, all-day length (0 = timed), start times, minutes
        activities = [
            ("zhanjiang-cast", "科技助农：热带水果高效栽培技术现场培训", (A.FARMERS,),
             ("zhanjiang-gdou-hall",), 0, ("09:30", "14:30"), 150),
            ("dongguan-cast", "产业工人科学素质提升讲座", (A.WORKERS,),
             ("dongguan-songshanhu-center",), 0, ("19:00", "14:30"), 120),
            ("foshan-cast", "银龄科普：识骗防骗与健康生活", (A.ELDERLY,),
             ("foshan-science-museum",), 0, ("09:30", "14:30"), 120),
            ("shenzhen-cast", "深圳科普开放日：走进科技企业", (A.YOUTH, A.PUBLIC),
             ("shenzhen-science-museum",), 1, (), 0),
            ("gd-meteorological-society", "台风来了怎么办——气象防灾减灾科普", (A.PUBLIC, A.YOUTH),
             ("gd-science-hall-lecture", "gd-science-hall-forum"), 0, ("14:30", "19:00"), 120),
            ("shantou-cast", "潮汕健康科普进社区", (A.ELDERLY, A.PUBLIC),
             ("shantou-stu-center",), 0, ("09:30", "14:30"), 150),
            ("zhuhai-cast", "航空航天科普展", (A.YOUTH, A.PUBLIC),
             ("zhuhai-convention-center",), 2, (), 0),
            ("gd-psychological-society", "青少年心理健康科普讲座", (A.YOUTH,),
             ("gd-science-hall-forum", "gd-science-hall-lecture"), 0, ("14:30", "19:00"), 120),
            ("gd-nutrition-society", "老年人合理膳食科普直播", (A.ELDERLY,),
             (ONLINE,), 0, ("10:00", "15:00"), 90),
            ("gd-tcm-society", "中医药文化进校园", (A.YOUTH,),
             ("gd-science-hall-room1",), 0, ("14:30", "09:30"), 120),
            ("guangzhou-cast", "领导干部和公务员科学素质提升专题报告", (A.OFFICIALS,),
             ("gd-science-hall-forum", "gd-science-center-hall"), 0, ("09:00", "14:30"), 150),
        ]  # fmt: skip
        next_year = {0, 2, 3, 6}  # the activities already planned for next year
        for offset in (0, 1):
            year = self.year + offset
            slug = f"science-day-{year}"
            first, last = _science_day_week(year)
            week = _days(first, last)
            start, end, venue, _ = self.place(
                self.all_days(week[:2], 2), ["gd-science-center-plaza"]
            )
            self.event(
                f"{year}年全国科普日广东主场活动暨广东科普嘉年华",
                EventKind.SCIENCE_DAY,
                "guangzhou-cast",
                start,
                end,
                venue,
                campaign=slug,
                all_day=True,
                is_major=True,
                cohosts=("sysu-cast", "gd-physics-society", "gd-aerospace-society"),
                audiences=(A.PUBLIC, A.YOUTH, A.ELDERLY),
                expected=1100,
            )
            for i, (host, title, audiences, venues, length, times, minutes) in enumerate(
                activities
            ):
                if offset and i not in next_year:
                    continue
                shift = (i * 2) % len(week)
                order = week[shift:] + week[:shift]
                if length:
                    fits = [d for d in order if d + timedelta(days=length - 1) <= last]
                    candidates = self.all_days(fits, length)
                else:
                    candidates = self.timed(order, times, minutes)
                start, end, venue, _ = self.place(candidates, venues)
                status, reason = None, ""
                if offset == 0 and host == "zhanjiang-cast":
                    status = EventStatus.CANCELLED
                    reason = "受台风影响，根据湛江市气象台预警取消现场活动，改期另行通知。"
                self.event(
                    title,
                    EventKind.SCIENCE_DAY,
                    host,
                    start,
                    end,
                    venue,
                    status=status,
                    reason=reason,
                    campaign=slug,
                    all_day=bool(length),
                    online=venue.is_online,
                    audiences=audiences,
                )

    def scientists_day(self) -> None:
        for offset in (0, 1):
            year = self.year + offset
            slug = f"scientists-day-{year}"
            day = date(year, 5, 30)
            start, end, venue, _ = self.place(
                self.timed([day], ["09:30", "14:30"], 120), ["gd-science-hall-forum"]
            )
            self.event(
                f"{year}年全国科技工作者日座谈会",
                EventKind.SCIENCE_DAY,
                "guangzhou-cast",
                start,
                end,
                venue,
                campaign=slug,
                audiences=(A.SCIENTISTS,),
                expected=self.rng.randint(120, 200),
            )
            choices = [[a] for a in ACADEMICIANS]
            start, end, venue, people = self.place(
                self.timed([day], ["14:30", "09:30", "19:00"], 150),
                ["gd-science-center-hall"],
                choices,
            )
            self.event(
                "院士面对面：弘扬科学家精神报告会",
                EventKind.SCIENCE_DAY,
                "sysu-cast",
                start,
                end,
                venue,
                campaign=slug,
                speakers=people,
                audiences=(A.SCIENTISTS, A.YOUTH),
                expected=self.rng.randint(350, 550),
            )
            if offset:
                continue
            start, end, venue, _ = self.place(
                self.timed([day], ["14:30", "19:00"], 150), ["shenzhen-science-museum"]
            )
            self.event(
                "深圳青年科技工作者主题沙龙",
                EventKind.SALON,
                "shenzhen-cast",
                start,
                end,
                venue,
                campaign=slug,
                cohosts=("sustech-cast",),
                audiences=(A.SCIENTISTS,),
                expected=self.rng.randint(80, 150),
            )
            start, end, venue, _ = self.place(self.timed([day], ["19:30"], 90), [ONLINE])
            self.event(
                "科技工作者心理压力调适线上讲座",
                EventKind.LECTURE,
                "gd-psychological-society",
                start,
                end,
                venue,
                campaign=slug,
                online=True,
                audiences=(A.SCIENTISTS,),
                expected=self.rng.randint(300, 800),
            )

    # ----------------------------------------------------------------- the rest

    def recurring(self) -> None:
        y = self.year
        # host, title, rule, first-start candidates, time, minutes, venue, audiences, exdate#
        plans = [
            ("shenzhen-cast", "青少年人工智能科普课堂", "FREQ=WEEKLY;COUNT=8;BYDAY=WE",
             [d for d in _days(date(y, 3, 1), date(y, 4, 30)) if d.weekday() == 2],
             "19:00", 90, "shenzhen-science-museum", (A.YOUTH,), 2),
            ("foshan-cast", "银龄智能手机课堂", "FREQ=WEEKLY;COUNT=10;BYDAY=TU",
             [d for d in _days(date(y, 4, 7), date(y, 5, 31)) if d.weekday() == 1],
             "09:30", 90, "foshan-science-museum", (A.ELDERLY,), 4),
            ("gdou-cast", "海洋科普进校园", "FREQ=MONTHLY;COUNT=6;BYDAY=2TH",
             [_nth_weekday(y, m, 3, 2) for m in (3, 4, 5)],
             "15:00", 90, "zhanjiang-gdou-hall", (A.YOUTH,), None),
            ("gd-agricultural-society", "乡村振兴农技直播课", "FREQ=MONTHLY;COUNT=6;BYDAY=3WE",
             [_nth_weekday(y, m, 2, 3) for m in (9, 10)],
             "19:30", 90, ONLINE, (A.FARMERS,), 1),
            ("gd-medical-association", "科技期刊编辑能力提升培训班", "FREQ=DAILY;COUNT=2",
             self.working(_days(date(y, 6, 8), date(y, 6, 30)), (1, 2, 3)),
             "09:00", 480, "gd-science-hall-room1", (A.SCIENTISTS,), None),
            ("dongguan-cast", "产业工人技能提升夜校", "FREQ=WEEKLY;COUNT=6;BYDAY=MO",
             [d for d in _days(date(y + 1, 3, 1), date(y + 1, 4, 30)) if d.weekday() == 0],
             "19:00", 120, "dongguan-songshanhu-center", (A.WORKERS,), None),
            ("stu-cast", "校园科学开放日", "FREQ=MONTHLY;COUNT=4;BYDAY=1SA",
             [_nth_weekday(y + 1, m, 5, 1) for m in (3, 4, 5)],
             None, 0, "shantou-stu-center", (A.PUBLIC, A.YOUTH), None),
        ]  # fmt: skip
        for host, title, rule, days, hhmm, minutes, venue_slug, audiences, skip in plans:
            venue = self.venues[venue_slug]
            all_day = hhmm is None
            for day in days:
                start = _midnight(day) if all_day else _at(day, hhmm)
                end = (
                    _midnight(day + timedelta(days=1))
                    if all_day
                    else start + timedelta(minutes=minutes)
                )
                slots = expand(start, end, rule, [], TZ, all_day=all_day)
                exdates = []
                if skip is not None:
                    local = slots[skip].start.astimezone(TZ).replace(tzinfo=None)
                    exdates = [exdate_key(local, all_day)]
                    slots = [s for i, s in enumerate(slots) if i != skip]
                if self.ledger.free(venue, (), slots):
                    break
            else:
                raise DemoDataError(f"no free start for the recurring event {title!r}")
            self.event(
                title,
                EventKind.EXHIBITION
                if all_day
                else EventKind.TRAINING
                if minutes >= 480
                else EventKind.LECTURE,
                host,
                start,
                end,
                venue,
                rrule=rule,
                exdates=exdates,
                all_day=all_day,
                online=venue.is_online,
                audiences=audiences,
                expected=min(venue.capacity, self.rng.randint(40, 150)),
            )

    def assorted(self) -> None:
        """Conferences, competitions and filings in every state of the approval workflow."""
        y = self.year
        S = EventStatus

        def window(year, month, first, last, weekdays=(0, 1, 2, 3, 4)):
            return self.working(_days(date(year, month, first), date(year, month, last)), weekdays)

        # A two-day annual conference, filed as a major event.
        days = window(y, 11, 3, 27, (1, 3))
        start, end, venue, people = self.place(
            ((_at(d, "09:00"), _at(d + timedelta(days=1), "17:30")) for d in days),
            ["zhanjiang-gdou-hall"],
            [["huang-zhenhua", "xie-yutong"], ["lin-haichuan", "xie-yutong"]],
        )
        self.event(
            f"{y}年南海海洋科学学术年会",
            EventKind.CONFERENCE,
            "chinese-society-oceanography",
            start,
            end,
            venue,
            is_major=True,
            speakers=people,
            cohosts=("gdou-cast", "gd-ocean-fisheries-society"),
            audiences=(A.SCIENTISTS,),
            expected=180,
        )
        simple = [
            # year, month, host, title, kind, venues, time, minutes, status, reason, extra
            (y, 6, "sustech-cast", "粤港澳大湾区人工智能安全与治理研讨会", EventKind.FORUM,
             ("shenzhen-science-museum",), "14:00", 210, None, "", {"major": False}),
            (y, 7, "gd-materials-research", "第三代半导体材料与器件学术研讨会",
             EventKind.CONFERENCE, ("gd-science-center-hall",), "09:00", 420, None, "", {}),
            (y, 8, "foshan-cast", "佛山市青少年机器人挑战赛", EventKind.COMPETITION,
             ("foshan-science-museum",), "09:00", 480, None, "", {"aud": (A.YOUTH,)}),
            (y, 11, "gd-aerospace-society", "低空经济与无人机应用科普展", EventKind.EXHIBITION,
             ("zhuhai-convention-center",), "09:30", 420, None, "",
             {"aud": (A.PUBLIC, A.YOUTH)}),
            (y, 12, "gd-mathematical-society", "数学建模竞赛辅导讲座", EventKind.TRAINING,
             ("gd-science-hall-room1",), "14:30", 120, S.WITHDRAWN,
             "承办单位因师资安排调整，主动撤回申请。", {"aud": (A.YOUTH,)}),
            (y, 12, "songhu-biomed-cast", "创新药临床研究方法培训班", EventKind.TRAINING,
             ("dongguan-songshanhu-center",), "09:00", 420, None, "", {}),
            (y + 1, 1, "gd-nutrition-society", "保健养生产品体验讲座", EventKind.LECTURE,
             ("foshan-science-museum",), "09:30", 120, S.REJECTED,
             "活动内容以商品推广为主，不符合学会科普活动定位，不予通过。",
             {"aud": (A.ELDERLY,)}),
            (y + 1, 2, "gd-geography-society", "跨省地理科学学术年会", EventKind.CONFERENCE,
             ("gd-science-center-hall",), "09:00", 480, S.REJECTED,
             "重大活动备案材料不全（缺少安全保障方案和经费预算），不予批准，请补充后重新报备。",
             {"major": True}),
            (y + 1, 3, "sysu-cast", "中外青年科学家交流论坛", EventKind.FORUM,
             ("gd-science-center-hall",), "14:00", 210, S.CHANGES_REQUESTED,
             "涉及境外专家参会，请补充境外人员名单及报告内容审核材料后重新提交。",
             {"major": True}),
            (y + 1, 4, "chinese-association-automation", "智能制造大会（广东分会场）",
             EventKind.CONFERENCE, ("dongguan-songshanhu-center",), "09:00", 480, S.SUBMITTED,
             "", {"major": True, "cohosts": ("gd-automation-society",
                                              "lingnan-intelligent-mfg-cast")}),
            (y + 1, 5, "gd-forestry-society", "红树林保护与修复野外科考营", EventKind.TRAINING,
             ("zhanjiang-gdou-hall",), "09:00", 420, S.CANCELLED,
             "主讲专家临时赴外地执行科考任务，本期活动取消。", {"aud": (A.YOUTH,)}),
            (y + 1, 6, "shenzhen-cast", f"{y + 1}粤港澳大湾区科技创新大会",
             EventKind.CONFERENCE, ("shenzhen-convention-hall5",), "09:00", 480, S.SUBMITTED,
             "", {"major": True, "cohosts": ("guangzhou-cast", "zhuhai-cast", "dongguan-cast")}),
            (y + 1, 7, "haiyun-energy-cast", "储能电站安全运行技术交流会", EventKind.FORUM,
             ("zhuhai-convention-center",), "14:30", 180, S.DRAFT, "", {}),
            (y + 1, 9, "gd-computer-society", "开源软件供应链安全研讨会", EventKind.FORUM,
             ("gd-science-hall-forum",), "09:00", 180, S.DRAFT, "", {}),
            (y + 1, 11, "scut-cast", "高分子材料前沿青年学者论坛", EventKind.FORUM,
             ("gd-science-center-hall",), "14:30", 180, S.SUBMITTED, "", {}),
        ]  # fmt: skip
        for year, month, host, title, kind, venues, hhmm, minutes, status, reason, extra in simple:
            start, end, venue, _ = self.place(
                self.timed(window(year, month, 10, 28), [hhmm], minutes), venues
            )
            self.event(
                title,
                kind,
                host,
                start,
                end,
                venue,
                status=status,
                reason=reason,
                is_major=extra.get("major", False),
                cohosts=extra.get("cohosts", ()),
                audiences=extra.get("aud", (A.SCIENTISTS,)),
            )
        # A cancelled event of the current year (keeps the feeds' CANCELLED case visible).
        start, end, venue, _ = self.place(
            self.timed(window(y, 9, 1, 11), ["09:30"], 180), ["zhanjiang-gdou-hall"]
        )
        self.event(
            "海洋牧场研学营",
            EventKind.TRAINING,
            "gdou-cast",
            start,
            end,
            venue,
            status=S.CANCELLED,
            reason="受台风影响，根据气象预警取消。",
            audiences=(A.YOUTH,),
        )
        # A request for changes because the slot collides with an enterprise forum session.
        forum = self.venues["gd-science-hall-forum"]
        clash = next(
            e
            for e in self.events
            if e.series is self.series["enterprise-biweekly"]
            and e.venue is forum
            and e.start_at.year == y + 1
        )
        self.event(
            "新能源汽车产业链协同创新研讨会",
            EventKind.FORUM,
            "gd-automotive-engineering",
            clash.start_at + timedelta(hours=1),
            clash.end_at + timedelta(hours=1),
            forum,
            status=S.CHANGES_REQUESTED,
            reason="所选时段与企业双周论坛在广东科学馆多功能厅的场地安排冲突，请调整时间或场地。",
            allow_overlap=True,
            audiences=(A.ENTERPRISES,),
        )

    def build(self) -> None:
        self.load_holidays()  # commits the Holiday rows it fills, before anything else
        self.build_directory()
        self.build_users()
        db.session.flush()
        self.build_series()
        self.build_campaigns()
        db.session.flush()
        # Fixed, regular slots first; flexible activities then fill the free ones.
        self.lecture_hall()
        self.biweekly()
        self.lingnan()
        self.academic_month()
        self.innovation_week()
        self.science_day()
        self.scientists_day()
        self.salons_and_meetings()
        self.recurring()
        self.assorted()
        db.session.flush()


def find_double_bookings() -> list[str]:
    """Venue (buffer included) and speaker double bookings among slot-holding occurrences."""
    rows = db.session.execute(
        sa.select(Occurrence, Event, Venue)
        .join(Event, Occurrence.event_id == Event.id)
        .join(Venue, Occurrence.venue_id == Venue.id)
        .where(Event.status.in_(SLOT_HOLDING_STATUSES), Venue.is_online.is_(False))
        .order_by(Occurrence.venue_id, Occurrence.start_at)
    ).all()
    problems = []
    by_venue: dict[int, list] = defaultdict(list)
    for occ, event, venue in rows:
        by_venue[venue.id].append((occ, event, venue))
    for items in by_venue.values():
        latest = None  # the booking ending last so far, with its title
        for occ, event, venue in items:
            pad = timedelta(minutes=venue.buffer_minutes)
            if latest is not None and occ.start_at < latest[0] + pad:
                problems.append(f"venue {venue.slug}: {latest[1]!r} / {event.title!r}")
            if latest is None or occ.end_at > latest[0]:
                latest = (occ.end_at, event.title)
            if event.expected_attendance > venue.capacity:
                problems.append(f"capacity {venue.slug}: {event.title!r}")
    talks: dict[int, list] = defaultdict(list)
    for person_id, start, end, title in db.session.execute(
        sa.select(event_speakers.c.person_id, Occurrence.start_at, Occurrence.end_at, Event.title)
        .join(Event, Event.id == event_speakers.c.event_id)
        .join(Occurrence, Occurrence.event_id == Event.id)
        .where(Event.status.in_(SLOT_HOLDING_STATUSES))
    ):
        talks[person_id].append((start, end, title))
    for person_id, items in talks.items():
        latest = None
        for start, end, title in sorted(items):
            if latest is not None and start < latest[0]:
                problems.append(f"speaker {person_id}: {latest[1]!r} / {title!r}")
            if latest is None or end > latest[0]:
                latest = (end, title)
    return problems


def load_demo_data(today: date | None = None) -> dict:
    """Fill an empty database with the Guangdong demo set-up; returns counts per entity.

    Runs inside an application context and commits. The holiday calendar of the two years is
    filled first (through the holiday service, which commits on its own) so that the demo
    avoids the same days the conflict rules warn about. Raises DemoDataError when the database
    already holds societies, venues or events, or when the built data would double-book.
    """
    for model in (Society, Venue, Event):
        if db.session.scalar(sa.select(sa.func.count()).select_from(model)):
            raise DemoDataError("the database is not empty; demo data is loaded only once")
    demo = _Demo(today or date.today())
    try:
        demo.build()
        _host_applications((today or date.today()).year + 1)
        problems = find_double_bookings()
        if problems:
            raise DemoDataError("demo data double-books: " + "; ".join(problems[:5]))
    except Exception:
        db.session.rollback()
        raise
    db.session.commit()

    def count(model) -> int:
        return db.session.scalar(sa.select(sa.func.count()).select_from(model))

    return {
        "societies": count(Society),
        "venues": count(Venue),
        "people": count(Person),
        "series": count(Series),
        "campaigns": count(Campaign),
        "events": count(Event),
        "occurrences": count(Occurrence),
        "users": count(User),
        "host applications": count(HostApplication),
    }


def _host_applications(year: int) -> None:
    """Fourteen provincial societies apply to host next year's 岭南科学论坛, each naming a
    preferred month; the usual hosts of the biweekly forum, the salons and the journal forum
    apply for next year too. So every series can be planned on the demo data whatever the
    day it was loaded (学会大讲堂 has a fixed host and needs no application)."""
    series = db.session.scalar(sa.select(Series).where(Series.slug == "lingnan-forum"))
    societies = db.session.scalars(
        sa.select(Society).where(Society.kind == SocietyKind.PROVINCIAL).order_by(Society.id)
    ).all()[:14]
    for n, society in enumerate(societies):
        db.session.add(
            HostApplication(
                society_id=society.id,
                series_id=series.id,
                year=year,
                preferred_months=[3 + n % 10],
                note="申请承办岭南科学论坛（演示数据）",
            )
        )
    wishes = [("enterprise-biweekly", slug, []) for slug in BIWEEKLY_HOSTS]
    wishes += [("secretary-salon", slug, [m]) for slug, m in zip(SALON_HOSTS[1], (4, 7, 11))]
    wishes.append(("journal-forum", "gd-chemical-society", [3]))
    series = {s.slug: s for s in db.session.scalars(sa.select(Series))}
    societies = {s.slug: s for s in db.session.scalars(sa.select(Society))}
    for slug, host, months in wishes:
        db.session.add(
            HostApplication(
                society_id=societies[host].id,
                series_id=series[slug].id,
                year=year,
                preferred_months=months,
                note=f"申请承办{series[slug].name}（演示数据）",
            )
        )
    db.session.flush()
