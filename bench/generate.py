#!/usr/bin/env python3
"""Deterministic synthetic corpus of 政府信息公开工作年度报告, with the values every file must give.

    python bench/generate.py --reports N --out DIR [--seed S] [--formats text,html,docx,markdown,flattened]

Writes N report files under DIR (in folders of 1,000) and DIR/expected.jsonl, one JSON object per file:
its name, format, agency, year, template, scope, and every value the parser must recover: table 3 as
{category: [7 values]} (applicant columns natural_person, org_commercial, org_research, org_social,
org_legal_service, org_other, total; null = a blank cell), table 4 as 15 values (reconsideration,
litigation_direct, litigation_after_reconsideration x upheld, corrected, other, pending, total), table 2
as {"category/metric": value}, narrative figures of 2019+ prose, legacy figures by legacy code (table and
prose), the cells expected to stay unresolved (run-together digits with more than one split), the rules
broken on purpose and every rule finding the parser's checks must report as failed.

What the files look like is taken from the real reports of tests/corpus and data/raw (templates, not
copies): Word-to-text dumps (one cell per tab line, wrapped labels also across a blank line, merged cells
as empty lines, NBSP/ideographic padding), web pages (rowspan/colspan, <br> in labels, zeros left blank,
navigation and scripts), Word files (gridSpan/vMerge), PDF-to-Markdown (pipe tables torn apart, labels
away from their values, page numbers, rows as text lines) and crawled pages flattened to text (a crawler
header block, then the report on one line with each row's digits run together; a row is printed run
together only when exactly one split fits the row's sums, as pipeline/readers/flattened.py requires, else
some cell boundaries get a space, or, for table 2, the row is recorded as expected to stay unresolved).

Agencies are places x agency types (renamed by the 2018 reform from 2019 on): the real corpus's places
and the provinces, cities and counties of data/reference/divisions.csv, each agency printing a name no
other agency prints (about one report per agency and year, as in a real corpus), each reporting a run of
years 2008-2025 with the template of each year (legacy prose with an optional statistics table up to
2018, the 2019 template for 2019-2020, the 2021 template from 2021); 上年结转 of year t is 结转下年度 of
year t-1 for most agencies. Numbers satisfy the template's rules except in a controlled share of reports
(`break_share`) that break one rule on purpose.

Same seed, same bytes: every agency draws from its own random.Random(f"{seed}:{agency}"), DOCX zips carry
fixed dates, and the work is split by agency, so the number of worker processes does not change a byte.
Nothing here imports the parser (pipeline/); bench/check_generated.py compares the two.
"""

from __future__ import annotations

import argparse
import csv
import html
import io
import itertools
import json
import math
import multiprocessing
import os
import random
import re
import sys
import time
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

ALL_FORMATS = ("text", "html", "docx", "markdown", "flattened")
EXTENSIONS = {"text": ".txt", "html": ".html", "docx": ".docx", "markdown": ".md", "flattened": ".txt"}
MANIFEST_NAME = "expected.jsonl"
FILES_PER_FOLDER = 1000
FIRST_YEAR, LAST_YEAR = 2008, 2025

# --------------------------------------------------------------------------------------------------
# The templates' fixed labels (the same in every report) and their codes (shared/spec/vocabulary.md)

COLUMNS = ("natural_person", "org_commercial", "org_research", "org_social", "org_legal_service", "org_other", "total")
DENIED = (
    "denied_state_secret",
    "denied_law_prohibited",
    "denied_security_stability",
    "denied_third_party",
    "denied_internal_affairs",
    "denied_process_info",
    "denied_enforcement_file",
    "denied_admin_query",
)
UNABLE = ("unable_not_held", "unable_needs_creation", "unable_unclear")
NOT_PROCESSED = (
    "not_processed_petition",
    "not_processed_repeat",
    "not_processed_publication",
    "not_processed_excessive",
    "not_processed_confirm",
)
OTHER_2021 = ("other_no_correction", "other_fee_unpaid", "other_misc")
OUTCOMES = {
    "2019": ("granted", "partial", *DENIED, *UNABLE, *NOT_PROCESSED, "other_total"),
    "2021": ("granted", "partial", *DENIED, *UNABLE, *NOT_PROCESSED, *OTHER_2021),
}
T3_ROWS = {t: ("new_received", "carried_over", *OUTCOMES[t], "processed_total", "carried_forward") for t in OUTCOMES}
T3_LABEL = {
    "new_received": "一、本年新收政府信息公开申请数量",
    "carried_over": "二、上年结转政府信息公开申请数量",
    "granted": "（一）予以公开",
    "partial": "（二）部分公开（区分处理的，只计这一情形，不计其他情形）",
    "denied_state_secret": "1.属于国家秘密",
    "denied_law_prohibited": "2.其他法律行政法规禁止公开",
    "denied_security_stability": "3.危及“三安全一稳定”",
    "denied_third_party": "4.保护第三方合法权益",
    "denied_internal_affairs": "5.属于三类内部事务信息",
    "denied_process_info": "6.属于四类过程性信息",
    "denied_enforcement_file": "7.属于行政执法案卷",
    "denied_admin_query": "8.属于行政查询事项",
    "unable_not_held": "1.本机关不掌握相关政府信息",
    "unable_needs_creation": "2.没有现成信息需要另行制作",
    "unable_unclear": "3.补正后申请内容仍不明确",
    "not_processed_petition": "1.信访举报投诉类申请",
    "not_processed_repeat": "2.重复申请",
    "not_processed_publication": "3.要求提供公开出版物",
    "not_processed_excessive": "4.无正当理由大量反复申请",
    "not_processed_confirm": "5.要求行政机关确认或重新出具已获取信息",
    "other_total": "（六）其他处理",
    "other_no_correction": "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
    "other_fee_unpaid": "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",
    "other_misc": "3.其他",
    "processed_total": "（七）总计",
    "carried_forward": "四、结转下年度继续办理",
}
T3_GROUPS = {  # (group label, its rows) in template order; 其他处理 is a group only in the 2021 template
    "2019": (("（三）不予公开", DENIED), ("（四）无法提供", UNABLE), ("（五）不予处理", NOT_PROCESSED)),
    "2021": (
        ("（三）不予公开", DENIED),
        ("（四）无法提供", UNABLE),
        ("（五）不予处理", NOT_PROCESSED),
        ("（六）其他处理", OTHER_2021),
    ),
}
T3_KEYS = {code: tuple(f"t3/{code}/{i}" for i in range(7)) for code in T3_LABEL}
T3_NOTE = "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"
ORG_LABELS = ("商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他")
BLOCKS = ("reconsideration", "litigation_direct", "litigation_after_reconsideration")
RESULTS = ("upheld", "corrected", "other", "pending", "total")
RESULT_LABELS = ("结果维持", "结果纠正", "其他结果", "尚未审结", "总计")

# Table 2: (article item, measures, rows (code, label)); a row's values are one per measure.
T2_LAYOUT = {
    "2021": (
        (
            "第二十条第（一）项",
            ("issued", "repealed", "in_force"),
            (("regulation", "规章"), ("normative_doc", "行政规范性文件")),
        ),
        ("第二十条第（五）项", ("decisions",), (("licensing", "行政许可"),)),
        ("第二十条第（六）项", ("decisions",), (("penalty", "行政处罚"), ("coercion", "行政强制"))),
        ("第二十条第（八）项", ("fee_amount",), (("admin_fee", "行政事业性收费"),)),
    ),
    "2019": (
        (
            "第二十条第（一）项",
            ("new_made", "new_published", "total_published"),
            (("regulation", "规章"), ("normative_doc", "规范性文件")),
        ),
        (
            "第二十条第（五）项",
            ("prev_items", "change", "decisions"),
            (("licensing", "行政许可"), ("other_admin_service", "其他对外管理服务事项")),
        ),
        (
            "第二十条第（六）项",
            ("prev_items", "change", "decisions"),
            (("penalty", "行政处罚"), ("coercion", "行政强制")),
        ),
        ("第二十条第（八）项", ("prev_items", "change"), (("admin_fee", "行政事业性收费"),)),
        ("第二十条第（九）项", ("procurement_items", "procurement_amount"), (("central_procurement", "政府集中采购"),)),
    ),
}
T2_MEASURE_LABEL = {
    "issued": "本年制发件数",
    "repealed": "本年废止件数",
    "in_force": "现行有效件数",
    "decisions": "本年处理决定数量",
    "fee_amount": "本年收费金额（单位：万元）",
    "new_made": "本年新制作数量",
    "new_published": "本年新公开数量",
    "total_published": "对外公开总数量",
    "prev_items": "上一年项目数量",
    "change": "本年增/减",
    "procurement_items": "采购项目数量",
    "procurement_amount": "采购总金额",
}
OTHER_ADMIN_SUBROWS = (("inspection", "行政检查"), ("confirmation", "行政确认"), ("payment", "行政给付"))

# Legacy statistics tables: (code, label as printed, unit). Codes with "/" are metric rows of the category
# before them (维持具体行政行为数 under 行政复议数量).
LEGACY_FUJIAN_EARLY = (
    ("proactive_items", "主动公开信息数", "条"),
    ("proactive_items.website", "其中：1.网站公开", "条"),
    ("proactive_items.gazette", "2.政府公报公开", "条"),
    ("applications_received", "受理依申请公开信息总数", "条"),
    ("applications_received.in_person", "其中：1.当面申请数", "条"),
    ("applications_received.fax", "2.传真申请数", "条"),
    ("applications_received.email", "3.电子邮件申请数", "条"),
    ("applications_received.online", "4.网上申请数", "条"),
    ("applications_received.letter", "5.信函申请数", "条"),
    ("applications_received.other", "6.其它形式申请数", "条"),
    ("applications_answered", "对申请的答复数", "条"),
    ("granted", "其中：1.同意公开答复数", "条"),
    ("partial", "2.同意部分公开答复数", "条"),
    ("denied", "3.否决公开答复数", "条"),
    ("reconsideration", "行政复议数", "条"),
    ("litigation", "行政诉讼数", "条"),
    ("complaints", "行政申诉数", "条"),
)
LEGACY_FUJIAN_LATE = (
    ("proactive_items", "主动公开文件数", "条"),
    ("proactive_items.website", "其中：1、政府网站公开数", "条"),
    ("proactive_items.gazette", "2、政府公报公开数", "条"),
    ("applications_received", "受理依申请公开信息总数", "条"),
    ("applications_received.in_person", "其中：1、当面申请数", "条"),
    ("applications_received.online", "2、网上申请数", "条"),
    ("applications_received.letter_or_fax", "3、信函、传真申请数", "条"),
    ("applications_answered", "对申请的答复总数", "条"),
    ("granted", "其中：1、同意公开答复数", "条"),
    ("partial", "2、同意部分公开答复数", "条"),
    ("denied", "3、不予公开答复数", "条"),
    ("answered_other", "4、其他类型答复数", "条"),
    ("fee_waivers", "政府信息公开收费减免金额", "元"),
    ("litigation_and_complaints", "接受行政诉讼、举报数", "件"),
    ("reconsideration", "行政复议数", "件"),
    ("litigation", "行政诉讼数", "件"),
)
LEGACY_NATIONAL = (  # the 2014 national statistics system: one this-year column (统计数)
    ("proactive_items", "主动公开政府信息数", "条"),
    ("proactive_items.normative_docs", "其中：主动公开规范性文件数", "条"),
    ("normative_docs_issued", "制发规范性文件总数", "件"),
    ("proactive_items.gazette", "1.政府公报公开政府信息数", "条"),
    ("proactive_items.website", "2.政府网站公开政府信息数", "条"),
    ("proactive_items.weibo", "3.政务微博公开政府信息数", "条"),
    ("proactive_items.wechat", "4.政务微信公开政府信息数", "条"),
    ("proactive_items.other_channels", "5.其他方式公开政府信息数", "条"),
    ("responses", "回应公众关注热点或重大舆情数", "次"),
    ("applications_received", "收到申请数", "件"),
    ("applications_received.in_person", "1.当面申请数", "件"),
    ("applications_received.fax", "2.传真申请数", "件"),
    ("applications_received.online", "3.网络申请数", "件"),
    ("applications_received.letter", "4.信函申请数", "件"),
    ("applications_completed", "申请办结数", "件"),
    ("applications_completed.on_time", "1.按时办结数", "件"),
    ("applications_completed.extended", "2.延期办结数", "件"),
    ("applications_answered", "申请答复数", "件"),
    ("already_public", "1.属于已主动公开范围数", "件"),
    ("granted", "2.同意公开答复数", "件"),
    ("partial", "3.同意部分公开答复数", "件"),
    ("denied", "4.不同意公开答复数", "件"),
    ("not_held", "5.不属于本行政机关公开数", "件"),
    ("not_exist", "6.申请信息不存在数", "件"),
    ("told_to_amend", "7.告知作出更改补充数", "件"),
    ("told_other_channel", "8.告知通过其他途径办理数", "件"),
    ("reconsideration", "行政复议数量", "件"),
    ("reconsideration/upheld", "1.维持具体行政行为数", "件"),
    ("reconsideration/corrected", "2.被依法纠错数", "件"),
    ("reconsideration/other", "3.其他情形数", "件"),
    ("litigation", "行政诉讼数量", "件"),
    ("litigation/upheld", "1.维持具体行政行为或者驳回原告诉讼请求数", "件"),
    ("litigation/corrected", "2.被依法纠错数", "件"),
    ("litigation/other", "3.其他情形数", "件"),
    ("complaints", "举报投诉数量", "件"),
    ("fees", "依申请公开信息收取的费用", "万元"),
    ("disclosure_offices", "政府信息公开工作专门机构数", "个"),
    ("reading_points", "设置政府信息公开查阅点数", "个"),
    ("staff", "从事政府信息公开工作人员数", "人"),
    ("staff.full_time", "1.专职人员数", "人"),
    ("staff.part_time", "2.兼职人员数", "人"),
    ("meetings", "召开政府信息公开工作会议或专题会议数", "次"),
    ("trainings", "举办各类培训班数", "次"),
    ("trainees", "接受培训人员数", "人次"),
)
LEGACY_TABLES = {"fujian_early": LEGACY_FUJIAN_EARLY, "fujian_late": LEGACY_FUJIAN_LATE, "national": LEGACY_NATIONAL}

# --------------------------------------------------------------------------------------------------
# Agencies: places x agency types. The places are the real corpus's (REGIONS, with their streets) and the
# provinces, prefecture cities and counties of data/reference/divisions.csv (region_pool).

REGIONS = (  # the real corpus's places: (name with its province/city prefix, name without it, streets)
    ("北京市东城区", "东城区", ("建国门", "东华门", "景山", "和平里", "安定门")),
    ("北京市西城区", "西城区", ("新街口", "月坛", "展览路", "金融街")),
    ("北京市朝阳区", "朝阳区", ("三里屯", "建外", "呼家楼", "望京")),
    ("北京市海淀区", "海淀区", ("中关村", "学院路", "万寿路")),
    ("上海市浦东新区", "浦东新区", ("陆家嘴", "潍坊新村", "花木")),
    ("上海市徐汇区", "徐汇区", ("天平路", "湖南路", "田林")),
    ("上海市", "上海市", ()),
    ("天津市和平区", "和平区", ("劝业场", "小白楼")),
    ("重庆市渝中区", "渝中区", ("解放碑", "朝天门")),
    ("广州市", "广州市", ()),
    ("广州市天河区", "天河区", ("石牌", "林和", "天河南")),
    ("深圳市南山区", "南山区", ("粤海", "蛇口", "招商")),
    ("杭州市西湖区", "西湖区", ("北山", "灵隐", "翠苑")),
    ("南京市鼓楼区", "鼓楼区", ("宁海路", "华侨路")),
    ("成都市武侯区", "武侯区", ("浆洗街", "玉林")),
    ("武汉市江汉区", "江汉区", ("民族街", "花楼街")),
    ("福建省平潭综合实验区", "平潭综合实验区", ()),
    ("福州市", "福州市", ()),
    ("厦门市思明区", "思明区", ("中华", "鹭江")),
    ("西安市雁塔区", "雁塔区", ("小寨路", "大雁塔")),
    ("长沙市岳麓区", "岳麓区", ("橘子洲", "望月湖")),
    ("郑州市金水区", "金水区", ("经八路", "花园路")),
    ("济南市历下区", "历下区", ("解放路", "泉城路")),
    ("昆明市五华区", "五华区", ("华山", "护国")),
    ("合肥市蜀山区", "蜀山区", ("三里庵", "稻香村")),
    ("苏州市", "苏州市", ()),
    ("宁波市鄞州区", "鄞州区", ("中河", "首南")),
    ("哈尔滨市南岗区", "南岗区", ("花园", "大成")),
    ("石家庄市", "石家庄市", ()),
    ("南宁市青秀区", "青秀区", ("新竹", "中山")),
    ("兰州市城关区", "城关区", ("张掖路", "皋兰路")),
    ("海口市美兰区", "美兰区", ("海府", "白龙")),
    ("浙江省安吉县", "安吉县", ("递铺", "昌硕")),
    ("江苏省昆山市", "昆山市", ("玉山", "亭林")),
)
# (name up to 2018, name from 2019, size classes to draw from). Sizes: applications per year, roughly.
AGENCY_TYPES = (
    ("人民政府", "人民政府", ("medium", "large", "large", "huge")),
    ("人民政府办公室", "人民政府办公室", ("small", "medium", "large")),
    ("发展和改革委员会", "发展和改革委员会", ("tiny", "small", "medium")),
    ("教育局", "教育局", ("tiny", "small", "medium")),
    ("公安局", "公安局", ("small", "medium", "large")),
    ("财政局", "财政局", ("tiny", "small", "medium")),
    ("民政局", "民政局", ("tiny", "small")),
    ("司法局", "司法局", ("zero", "tiny", "small")),
    ("人力资源和社会保障局", "人力资源和社会保障局", ("small", "medium")),
    ("住房和城乡建设委员会", "住房和城乡建设委员会", ("small", "medium", "large")),
    ("交通运输局", "交通运输局", ("tiny", "small")),
    ("国土资源局", "自然资源局", ("small", "medium", "large", "huge")),
    ("环境保护局", "生态环境局", ("tiny", "small", "medium")),
    ("卫生和计划生育委员会", "卫生健康委员会", ("tiny", "small", "medium")),
    ("安全生产监督管理局", "应急管理局", ("zero", "tiny", "small")),
    ("工商行政管理局", "市场监督管理局", ("small", "medium", "large")),
    ("城市管理指挥中心", "城市管理指挥中心", ("zero", "tiny")),
    ("对外联络服务办公室", "对外联络服务办公室", ("zero", "zero", "tiny")),
    ("街道办事处", "街道办事处", ("zero", "tiny", "small")),
)
REAL_REGION_SHARE = 0.15  # agencies placed in REGIONS; the others in a division of divisions.csv
DIVISIONS_CSV = Path(__file__).resolve().parent.parent / "data" / "reference" / "divisions.csv"
# Common street names (城关街道, 解放路街道 …) for the 街道办事处 of a district, county or county-level city
STREET_STEMS = (
    *("城关", "城东", "城西", "城南", "城北", "东关", "西关", "南关", "北关", "东城", "西城", "南城", "北城"),
    *("新华", "新城", "新村", "人民路", "解放路", "中山路", "建设路", "文化路", "胜利路", "和平路", "东风路"),
    *("朝阳", "向阳", "滨江", "滨河", "凤凰", "龙山", "府前", "站前", "长安", "兴隆", "永安", "花园", "湖滨"),
)
# The types a province has under these names (its other departments are 厅, a form AGENCY_TYPES lacks).
PROVINCE_TYPES = ("人民政府", "发展和改革委员会", "卫生和计划生育委员会")
REGIONS_ONLY_TYPES = ("对外联络服务办公室",)  # the real corpus's (北京) offices, not every county's
MUNICIPALITIES = ("北京市", "天津市", "上海市", "重庆市")  # provinces whose departments are 局, as a city's


@dataclass(frozen=True)
class Region:
    """A place agencies are named after, and what it has: streets for 街道办事处, agency types, years."""

    full: str  # with its province/city prefix: 福州市鼓楼区, 江苏省昆山市
    short: str  # without it: 鼓楼区
    streets: tuple[str, ...]  # none: no 街道办事处
    kinds: tuple[int, ...]  # into AGENCY_TYPES
    since: int = FIRST_YEAR  # the years the division had this name (divisions.csv)
    until: int = LAST_YEAR


@lru_cache(maxsize=1)
def region_pool() -> tuple[tuple[Region, ...], tuple[Region, ...]]:
    """The places agencies are drawn from: (REGIONS, the divisions of divisions.csv), read once.

    Divisions named in 2008-2025, outside 台湾/香港/澳门: provinces (only PROVINCE_TYPES, except the
    municipalities), prefecture cities (not 地区 or 盟: no 人民政府 there) and counties, districts and
    county-level cities, prefixed with their city (福州市鼓楼区) or, for county-level cities and counties
    directly under the province, the province (江苏省昆山市). Districts, counties and county-level cities
    get streets from STREET_STEMS. Places of REGIONS are left out of the divisions.
    """
    real_kinds = tuple(range(len(AGENCY_TYPES)))
    real = tuple(
        Region(full, short, streets, tuple(i for i in real_kinds if streets or AGENCY_TYPES[i][0] != "街道办事处"))
        for full, short, streets in REGIONS
    )
    known = {full for full, _, _ in REGIONS}
    years: dict[tuple[str, str, str], tuple[int, int]] = {}  # (full, short, level) -> (since, until)
    with DIVISIONS_CSV.open(encoding="utf-8", newline="") as rows:
        for row in csv.DictReader(rows):
            name, level, province, city = row["name"], row["level"], row["province"], row["city"]
            since, until = int(row["valid_from"]), int(row["valid_to"] or LAST_YEAR)
            if until < FIRST_YEAR or since > LAST_YEAR or province in ("台湾省", "香港特别行政区", "澳门特别行政区"):
                continue
            if name in ("市辖区", "县", "直辖县") or (level == "city" and name.endswith(("地区", "盟"))):
                continue
            full = (province if name.endswith("市") or not city else city) + name if level == "county" else name
            if {full, province + name, city + name} & known:  # REGIONS has it (浙江省安吉县 = 湖州市安吉县)
                continue
            span = years.get((full, name, level), (since, until))
            years[(full, name, level)] = (min(span[0], since), max(span[1], until))
    divisions = []
    province_kinds = tuple(i for i, kind in enumerate(AGENCY_TYPES) if kind[0] in PROVINCE_TYPES)
    all_kinds = tuple(i for i, kind in enumerate(AGENCY_TYPES) if kind[0] not in REGIONS_ONLY_TYPES)
    no_street = tuple(i for i in all_kinds if AGENCY_TYPES[i][0] != "街道办事处")
    for (full, short, level), (since, until) in years.items():
        if level == "province" and full not in MUNICIPALITIES:
            kinds, streets = province_kinds, ()
        elif level == "county" and short.endswith(("区", "市", "县")):
            kinds, streets = all_kinds, STREET_STEMS
        else:
            kinds, streets = no_street, ()
        divisions.append(Region(full, short, streets, kinds, max(since, FIRST_YEAR), min(until, LAST_YEAR)))
    return real, tuple(divisions)


SCALE = {"zero": 0.0, "tiny": 1.5, "small": 7.0, "medium": 45.0, "large": 320.0, "huge": 2400.0}
REFORM_YEAR = 2019  # names of the 2018 institutional reform, as reports print them from 2019 on

# Prose: generic sentences written for this generator (no figures the parser reads).
GENERAL = (
    "坚持以公开为常态、不公开为例外，围绕中心工作扎实推进政务公开，不断提升工作透明度。",
    "进一步健全政府信息公开工作机制，明确分管领导和具体经办人员，确保各项任务落到实处。",
    "严格落实信息发布审核制度，坚持先审查后公开，做到公开内容准确、规范、及时。",
    "持续加强网站栏目建设和日常维护，及时更新机构职能、办事指南等基础信息。",
    "结合机构职能调整，动态更新政府信息公开指南和公开目录，方便公众查询。",
    "加强政策解读工作，采用图表图解、问答等形式，帮助公众准确理解政策内容。",
    "认真做好依申请公开工作，规范受理、登记、办理、答复等环节，依法保障申请人的合法权益。",
    "加强对政府信息公开工作人员的业务培训，不断提高依法公开的意识和能力。",
    "将政务公开工作纳入年度绩效考核，强化监督检查，推动工作持续改进。",
    "做好政务新媒体的运维管理，确保信息发布安全、准确、权威。",
    "围绕群众关注的热点难点问题，及时发布权威信息，积极回应社会关切。",
    "规范政府信息的产生、保存和移交，做好公文公开属性的源头认定。",
)
SUBHEADINGS = ("（一）主动公开", "（二）依申请公开", "（三）政府信息管理", "（四）平台建设", "（五）监督保障")
PROBLEMS = (
    "一是政策解读的形式还不够丰富，解读的针对性有待增强。",
    "二是信息公开队伍力量相对薄弱，业务水平有待进一步提高。",
    "三是主动公开的深度和广度还需拓展，部分栏目更新不够及时。",
)
IMPROVEMENTS = (
    "下一步，将加强业务学习和培训，提升工作人员的专业能力。",
    "进一步完善信息发布审核机制，提高公开信息的质量和时效。",
    "持续优化网站栏目设置，方便公众获取政府信息。",
)
HEADINGS_2019 = (
    ("一、总体情况", "总体情况"),
    ("二、主动公开政府信息情况", "主动公开政府信息情况", "2、 主动公开政府信息情况"),
    ("三、收到和处理政府信息公开申请情况", "收到和处理政府信息公开申请情况"),
    (
        "四、政府信息公开行政复议、行政诉讼情况",
        "政府信息公开行政复议、行政诉讼情况",
        "四、因政府信息公开工作被申请行政复议、提起行政诉讼情况",
    ),
    ("五、存在的主要问题及改进情况", "存在的主要问题及改进情况", "五、政府信息公开工作存在的主要问题及改进情况"),
    ("六、其他需要报告的事项", "其他需要报告的事项"),
)
LEGACY_HEADINGS = (
    "一、概述",
    "二、主动公开政府信息情况",
    "三、依申请公开政府信息情况",
    "四、因政府信息公开申请提起行政复议、行政诉讼的情况",
    "五、政府信息公开的收费及减免情况",
    "六、存在的主要问题及改进措施",
)


@dataclass(frozen=True)
class Options:
    break_share: float = 0.05  # reports that break one rule on purpose
    blank_share: float = 0.3  # web pages (HTML) that leave their zeros blank
    discontinuity_share: float = 0.1  # agencies whose 上年结转 does not follow last year's 结转下年度
    legacy_table_share: float = 0.6  # pre-2019 reports with a statistics table (when the agency has one)
    ambiguous_share: float = 0.6  # flattened table-2 rows with several splits left run together (unresolved)


# --------------------------------------------------------------------------------------------------
# Agencies and their numbers


@dataclass(frozen=True)
class AgencyPlan:
    """One agency of the corpus: who it is, which years it reports, where its reports go."""

    index: int
    region: tuple[str, str]  # its place: (name with its province/city prefix, name without it)
    kind: int  # into AGENCY_TYPES
    street: str  # for 街道办事处
    first: int
    last: int
    fmt: str  # the format its website publishes in; a few reports come in another
    start: int  # global index of its first report

    @property
    def years(self) -> range:
        return range(self.first, self.last + 1)


def _plan(n: int, seed: int, formats: Sequence[str]) -> list[AgencyPlan]:
    """Agencies and their runs of years until there are n reports; cheap, so every worker can redo it.

    An agency is a place of region_pool (REGIONS in REAL_REGION_SHARE of the draws) and one of its types;
    a draw that would print a name already printed by another agency is drawn again (up to 20 times, so
    a corpus larger than the pool still ends), so almost every agency-year has one report, as in a real
    corpus. An agency reports only in the years its place had that name.
    """
    rng = random.Random(f"{seed}:plan")
    real, divisions = region_pool()
    plans: list[AgencyPlan] = []
    taken: set[str] = set()  # every name an agency of the plan prints
    start = 0
    years = list(range(FIRST_YEAR, LAST_YEAR + 1))
    # More agencies report in recent years (most reports of a corpus are 2019+).
    first_weights = [1.0 if year < 2014 else 1.5 if year < 2019 else 3.0 for year in years]
    while start < n:
        for _ in range(20):
            region = rng.choice(real if rng.random() < REAL_REGION_SHARE else divisions)
            kind = rng.choice(region.kinds)
            street = rng.choice(region.streets) if AGENCY_TYPES[kind][0] == "街道办事处" else ""
            names = {
                _name(region.full, region.short, kind_name, street, full)
                for kind_name in AGENCY_TYPES[kind][:2]
                for full in (True, False)
            }
            if not names & taken:
                break
        taken |= names
        valid = slice(region.since - FIRST_YEAR, region.until - FIRST_YEAR + 1)
        first = rng.choices(years[valid], first_weights[valid])[0]
        last = min(region.until, first + rng.choice((0, 1, 2, 3, 4, 6, 8, 10, 17)))
        count = min(last - first + 1, n - start)
        place = (region.full, region.short)
        plans.append(AgencyPlan(len(plans), place, kind, street, first, first + count - 1, rng.choice(formats), start))
        start += count
    return plans


def _poisson(rng: random.Random, mean: float) -> int:
    if mean <= 0:
        return 0
    if mean < 30:
        limit, k, product = math.exp(-mean), 0, rng.random()
        while product > limit:
            k += 1
            product *= rng.random()
        return k
    return max(0, round(rng.gauss(mean, math.sqrt(mean))))


def _allocate(rng: random.Random, n: int, weights: Sequence[float]) -> list[int]:
    """n items over the categories, drawn with the weights (exact proportions plus a random remainder)."""
    counts = [0] * len(weights)
    if n <= 0:
        return counts
    if n <= 200:
        for i in rng.choices(range(len(weights)), weights, k=n):
            counts[i] += 1
        return counts
    total = sum(weights)
    exact = [n * w / total for w in weights]
    counts = [int(x) for x in exact]
    rest = n - sum(counts)
    if rest:
        for i in rng.choices(range(len(weights)), [x - int(x) + 1e-9 for x in exact], k=rest):
            counts[i] += 1
    return counts


OUTCOME_BASE = {
    "granted": 30,
    "partial": 8,
    "denied_state_secret": 0.4,
    "denied_law_prohibited": 0.5,
    "denied_security_stability": 0.3,
    "denied_third_party": 1.5,
    "denied_internal_affairs": 1.0,
    "denied_process_info": 2.0,
    "denied_enforcement_file": 0.6,
    "denied_admin_query": 1.0,
    "unable_not_held": 25,
    "unable_needs_creation": 3,
    "unable_unclear": 3,
    "not_processed_petition": 4,
    "not_processed_repeat": 3,
    "not_processed_publication": 0.5,
    "not_processed_excessive": 0.5,
    "not_processed_confirm": 0.5,
    "other_total": 8,
    "other_no_correction": 4,
    "other_fee_unpaid": 0.3,
    "other_misc": 5,
}
APPLICANT_BASE = (88.0, 7.0, 0.4, 0.6, 2.0, 1.5)


@dataclass
class AgencyState:
    """What an agency carries from one year to the next, and its own habits."""

    plan: AgencyPlan
    size: str
    full_prefix: bool
    continuity: bool  # 上年结转 = last year's 结转下年度 (most agencies)
    aggregate: bool  # a 人民政府 report summarising the whole region
    applicant_weights: tuple[float, ...]
    outcome_weights: dict[str, float]
    carry_share: float  # how often a year ends with applications carried forward
    carried_forward: list[int] | None = None  # last year's 结转下年度, as printed
    cumulative: dict[str, int] = field(default_factory=dict)  # legacy tables' 历年累计
    legacy_kind: str | None = None


def _agency_state(plan: AgencyPlan, rng: random.Random, options: Options) -> AgencyState:
    kind = AGENCY_TYPES[plan.kind]
    return AgencyState(
        plan=plan,
        size=rng.choice(kind[2]),
        full_prefix=rng.random() < 0.7,
        continuity=rng.random() >= options.discontinuity_share,
        aggregate=kind[0] == "人民政府" and rng.random() < 0.4,
        applicant_weights=tuple(w * rng.lognormvariate(0, 0.6) for w in APPLICANT_BASE),
        outcome_weights={k: w * rng.lognormvariate(0, 0.9) for k, w in OUTCOME_BASE.items()},
        carry_share=rng.uniform(0.1, 0.6),
    )


def _name(full_prefix: str, short_prefix: str, kind: str, street: str, full: bool) -> str:
    if kind == "街道办事处":
        return f"{full_prefix}人民政府{street}街道办事处" if full else f"{short_prefix}{street}街道办事处"
    return (full_prefix if full else short_prefix) + kind


def agency_name(state: AgencyState, year: int, full: bool) -> str:
    plan = state.plan
    before, after, _ = AGENCY_TYPES[plan.kind]
    return _name(*plan.region, after if year >= REFORM_YEAR else before, plan.street, full)


def template_of(year: int) -> str:
    return "legacy" if year < 2019 else "2019" if year < 2021 else "2021"


@dataclass
class Report:
    """One report's content: what the tables and the prose state, before any format is chosen."""

    agency_id: int
    agency: str  # as printed in the title
    year: int
    template: str
    scope: str
    aggregate: bool
    t3: dict[str, list[int]] | None = None
    t3_omitted: bool = False  # no applications, and the report leaves table 3 out
    t4: list[int] | None = None
    t2: list[tuple[str, str, list[tuple[str, str, int | float]]]] = field(default_factory=list)
    narrative: dict[str, int | float] = field(default_factory=dict)
    proactive_items: int = 0
    legacy_kind: str | None = None  # statistics table: fujian_early, fujian_late, national, or None
    legacy_rows: list[tuple[str, str, str, int, int]] = field(default_factory=list)  # code, label, unit, this, cum
    legacy_prose: dict[str, int | float] = field(default_factory=dict)
    legacy_facts: dict[str, int] = field(default_factory=dict)  # every legacy figure of the year, by code
    broken: list[dict[str, str]] = field(default_factory=list)


def _year_scale(state: AgencyState, year: int) -> float:
    growth = 0.35 if year < 2015 else 0.5 if year < 2019 else 1.0 + 0.06 * (year - 2019)
    return SCALE[state.size] * growth


def _t3(state: AgencyState, rep: Report, rng: random.Random, breaking: str | None) -> None:
    template = rep.template
    scale = _year_scale(state, rep.year)
    if state.size == "zero":
        new_total = 1 if rng.random() < 0.08 else 0
    else:
        new_total = _poisson(rng, scale * rng.lognormvariate(0, 0.5))
    new = _allocate(rng, new_total, state.applicant_weights)
    previous = state.carried_forward
    if previous is not None and state.continuity:
        carried = list(previous[:6])
    else:
        carried = [_poisson(rng, scale * 0.04) if i < 2 else 0 for i in range(6)]
    if breaking == "continuity":
        column = 0 if rng.random() < 0.8 else rng.randrange(6)
        carried[column] += rng.choice((1, 1, 2, 3, 5))
    forward = [0] * 6
    available = [a + b for a, b in zip(new, carried, strict=True)]
    if rng.random() < state.carry_share:
        for i, a in enumerate(available):
            if a:
                forward[i] = min(a, int(a * rng.uniform(0, 0.12)) + (1 if rng.random() < 0.3 else 0))
    processed = [a - f for a, f in zip(available, forward, strict=True)]
    outcomes = OUTCOMES[template]
    weights = [state.outcome_weights[c] for c in outcomes]
    per_column = [_allocate(rng, p, weights) for p in processed]
    rows: dict[str, list[int]] = {}

    def put(code: str, values: Sequence[int]) -> None:
        rows[code] = [*values, sum(values)]

    put("new_received", new)
    put("carried_over", carried)
    for i, code in enumerate(outcomes):
        put(code, [per_column[c][i] for c in range(6)])
    put("processed_total", processed)
    put("carried_forward", forward)
    rep.t3 = {code: rows[code] for code in T3_ROWS[template]}


def _t4(state: AgencyState, rep: Report, rng: random.Random) -> None:
    new = rep.t3["new_received"][6] if rep.t3 else 0
    means = (
        new * rng.uniform(0.0, 0.04) + 0.08,
        new * rng.uniform(0.0, 0.025) + 0.05,
        new * rng.uniform(0.0, 0.008) + 0.02,
    )
    values: list[int] = []
    for mean in means:
        results = _allocate(rng, _poisson(rng, mean), (6.0, 0.6, 1.5, 2.0))
        values += [*results, sum(results)]
    rep.t4 = values


def _signed(rng: random.Random, value: int) -> str:
    if value > 0 and rng.random() < 0.6:
        return f"+{value}"
    return str(value)


def _t2(state: AgencyState, rep: Report, rng: random.Random, subrows: bool) -> None:
    scale = max(_year_scale(state, rep.year), 1.0)
    is_government = AGENCY_TYPES[state.plan.kind][0] in ("人民政府", "人民政府办公室")
    rows: list[tuple[str, str, list[tuple[str, str, int | float]]]] = []

    def plain(value: int) -> tuple[str, int]:
        return str(value), value

    if rep.template == "2021":
        regulation = _poisson(rng, 1.2) if is_government else 0
        in_force = regulation + (rng.randrange(5, 120) if is_government else 0)
        rows.append(
            (
                "regulation",
                "",
                [("issued", *plain(regulation)), ("repealed", *plain(0)), ("in_force", *plain(in_force))],
            )
        )
        docs = _poisson(rng, 0.4 + scale * 0.03)
        rows.append(
            (
                "normative_doc",
                "",
                [
                    ("issued", *plain(docs)),
                    ("repealed", *plain(_poisson(rng, docs * 0.3))),
                    ("in_force", *plain(docs + _poisson(rng, 3 + scale * 0.2))),
                ],
            )
        )
        for code, factor in (("licensing", 3.0), ("penalty", 1.5), ("coercion", 0.08)):
            value = _poisson(rng, scale * factor * rng.random()) if rng.random() < 0.7 else 0
            rows.append((code, "", [("decisions", *plain(value))]))
        if rng.random() < 0.6:
            fee: tuple[str, int | float] = ("0", 0)
        else:
            decimals = rng.choice((1, 2, 2, 4, 6))
            printed = f"{rng.lognormvariate(1.5, 2.0):.{decimals}f}"
            fee = (printed, float(printed))
        rows.append(("admin_fee", "", [("fee_amount", *fee)]))
    else:
        for code in ("regulation", "normative_doc"):
            made = _poisson(rng, 1.0 if (code == "normative_doc" or is_government) else 0.05)
            published = made if rng.random() < 0.9 else max(0, made - 1)
            total = published + (rng.randrange(0, 200) if made or rng.random() < 0.5 else 0)
            rows.append(
                (
                    code,
                    "",
                    [
                        ("new_made", *plain(made)),
                        ("new_published", *plain(published)),
                        ("total_published", *plain(total)),
                    ],
                )
            )

        def three(code: str, label: str, factor: float) -> None:
            previous = rng.randrange(0, 40) if rng.random() < 0.7 else 0
            change = rng.randrange(-previous, 12) if rng.random() < 0.5 else 0
            decisions = _poisson(rng, scale * factor * rng.random())
            rows.append(
                (
                    code,
                    label,
                    [
                        ("prev_items", *plain(previous)),
                        ("change", _signed(rng, change), change),
                        ("decisions", *plain(decisions)),
                    ],
                )
            )

        three("licensing", "", 3.0)
        if subrows:
            for sub, label in OTHER_ADMIN_SUBROWS[: rng.randrange(2, 4)]:
                three(f"other_admin_service.{sub}", label, 1.0)
        else:
            three("other_admin_service", "", 1.0)
        three("penalty", "", 1.5)
        three("coercion", "", 0.08)
        previous = rng.randrange(0, 15)
        change = rng.randrange(-previous, 3) if rng.random() < 0.3 else 0
        rows.append(("admin_fee", "", [("prev_items", *plain(previous)), ("change", _signed(rng, change), change)]))
        items = _poisson(rng, 2 + scale * 0.05) if rng.random() < 0.7 else 0
        if not items:
            amount: tuple[str, int | float] = ("0", 0)
        elif rng.random() < 0.6:
            printed = f"{rng.lognormvariate(2.5, 1.5):.4f}"
            amount = (printed, float(printed))
        else:
            yuan = round(rng.lognormvariate(11, 1.5))
            amount = (f"{yuan}元", round(yuan / 10000, 6))
        rows.append(
            ("central_procurement", "", [("procurement_items", *plain(items)), ("procurement_amount", *amount)])
        )
    rep.t2 = rows


def _narrative(rep: Report, rng: random.Random, breaking: str | None) -> None:
    """Figures the prose of a 2019+ report states (each with probability), as the table has them."""
    t3, t4 = rep.t3, rep.t4
    if rng.random() < 0.7:
        rep.narrative["proactive_items"] = rep.proactive_items
    if rng.random() < 0.7:
        rep.narrative["applications_received"] = t3["new_received"][6]
        if rng.random() < 0.7:
            rep.narrative["applications_carried_over"] = t3["carried_over"][6]
    if rng.random() < 0.5:
        rep.narrative["reconsideration"] = t4[4]
        rep.narrative["litigation"] = t4[9] + t4[14]
    if rng.random() < 0.6:
        rep.narrative["fees_charged"] = 0 if rng.random() < 0.9 else rng.randrange(10, 500)
    if breaking == "narrative_table_agreement":
        figures = [c for c in ("applications_received", "reconsideration") if c in rep.narrative]
        if not figures:
            rep.narrative["applications_received"] = t3["new_received"][6]
            figures = ["applications_received"]
        figure = rng.choice(figures)
        rep.narrative[figure] += rng.choice((1, 2, 3, 10))
        rep.broken.append({"rule": "narrative_table_agreement", "at": figure})


def _break_table(rep: Report, rng: random.Random, rule: str) -> None:
    """Make the printed numbers break one rule on purpose (others may fail with it: see `violations`)."""
    t3, t4 = rep.t3, rep.t4
    step = rng.choice((1, 1, 2, 3, 5, 10))
    if rule == "applicant_sum":
        row = rng.choice([r for r in t3 if t3[r][6]] or list(t3))
        t3[row][6] = t3[row][6] + step if rng.random() < 0.6 or t3[row][6] < step else t3[row][6] - step
        rep.broken.append({"rule": rule, "at": row})
    elif rule == "outcome_sum":
        column = 0 if rng.random() < 0.7 else rng.randrange(6)
        row = rng.choice(OUTCOMES[rep.template])
        t3[row][column] += step
        t3[row][6] += step
        rep.broken.append({"rule": rule, "at": COLUMNS[column]})
    elif rule == "intake_balance":
        column = 0 if rng.random() < 0.7 else rng.randrange(6)
        t3["carried_forward"][column] += step
        t3["carried_forward"][6] += step
        rep.broken.append({"rule": rule, "at": COLUMNS[column]})
    elif rule == "review_block_sum":
        block = rng.randrange(3)
        t4[block * 5 + 4] += step
        rep.broken.append({"rule": rule, "at": BLOCKS[block]})


def _legacy(state: AgencyState, rep: Report, rng: random.Random, options: Options, breaking: bool) -> None:
    """A pre-2019 year: the figures, the statistics table (if any) and what the prose states."""
    year = rep.year
    if state.legacy_kind is None or rng.random() < 0.1:
        if year >= 2014:
            state.legacy_kind = rng.choice(("fujian_late", "national", "national", None))
        else:
            state.legacy_kind = rng.choice(("fujian_early", "fujian_early", None))
    if state.legacy_kind == "fujian_early" and year >= 2014:
        state.legacy_kind = "fujian_late"
    kind = state.legacy_kind if rng.random() < options.legacy_table_share else None
    scale = _year_scale(state, year)
    received = 1 if state.size == "zero" and rng.random() < 0.05 else _poisson(rng, scale * rng.lognormvariate(0, 0.5))
    f: dict[str, int] = {}
    f["proactive_items"] = max(1, round(rng.lognormvariate(4.5, 1.2)))
    website = f["proactive_items"] - (rng.randrange(0, f["proactive_items"] // 5 + 1) if rng.random() < 0.4 else 0)
    f["proactive_items.website"] = website
    f["proactive_items.gazette"] = f["proactive_items"] - website
    f["applications_received"] = received
    channels = {
        "fujian_early": ("in_person", "fax", "email", "online", "letter", "other"),
        "fujian_late": ("in_person", "online", "letter_or_fax"),
    }.get(kind or "", ("in_person", "fax", "online", "letter"))
    for channel, count in zip(
        channels, _allocate(rng, received, (3, 0.3, 0.5, 4, 2, 0.2)[: len(channels)]), strict=True
    ):
        f[f"applications_received.{channel}"] = count
    answered = received if rng.random() < 0.85 else received - min(received, _poisson(rng, 1))
    f["applications_answered"] = answered
    f["applications_completed"] = answered
    extended = min(answered, _poisson(rng, answered * 0.05))
    f["applications_completed.on_time"] = answered - extended
    f["applications_completed.extended"] = extended
    answers = ("granted", "partial", "denied", "not_held", "not_exist", "already_public", "told_to_amend")
    for code, count in zip(answers, _allocate(rng, answered, (10, 2, 1, 3, 1.5, 1, 0.5)), strict=True):
        f[code] = count
    if kind == "fujian_late":  # its table has no rows for these; they go to 其他类型答复数
        f["answered_other"] = f.pop("not_held") + f.pop("not_exist") + f.pop("already_public") + f.pop("told_to_amend")
    f["told_other_channel"] = 0
    for code, mean in (("reconsideration", 0.05 + received * 0.02), ("litigation", 0.03 + received * 0.01)):
        f[code] = _poisson(rng, mean)
        for metric, count in zip(("upheld", "corrected", "other"), _allocate(rng, f[code], (6, 1, 1)), strict=True):
            f[f"{code}/{metric}"] = count
    f["complaints"] = _poisson(rng, 0.05)
    f["litigation_and_complaints"] = f["litigation"] + f["complaints"]
    f["fees"] = 0
    f["fee_waivers"] = 0
    f["responses"] = _poisson(rng, 2)
    f["proactive_items.normative_docs"] = _poisson(rng, 3)
    f["normative_docs_issued"] = f["proactive_items.normative_docs"] + _poisson(rng, 1)
    for code in ("proactive_items.weibo", "proactive_items.wechat", "proactive_items.other_channels"):
        f[code] = _poisson(rng, 20) if rng.random() < 0.5 else 0
    f["disclosure_offices"] = 1
    f["reading_points"] = rng.randrange(1, 4)
    f["staff.full_time"] = rng.randrange(0, 3)
    f["staff.part_time"] = rng.randrange(1, 4)
    f["staff"] = f["staff.full_time"] + f["staff.part_time"]
    f["meetings"] = rng.randrange(0, 5)
    f["trainings"] = rng.randrange(0, 4)
    f["trainees"] = f["trainings"] * rng.randrange(10, 80)
    rep.legacy_facts = f
    rep.legacy_kind = kind
    if kind:
        for code, label, unit in LEGACY_TABLES[kind]:
            this = f[code]
            before = state.cumulative.get(code)
            if before is None:
                before = this * rng.randrange(0, 6) + (rng.randrange(0, 30) if this else 0)
            state.cumulative[code] = before + this
            rep.legacy_rows.append((code, label, unit, this, before + this))
    # What the prose says: a varying subset, as reports do.
    prose = rep.legacy_prose
    if rng.random() < 0.9:
        prose["proactive_items"] = f["proactive_items"]
    prose["applications_received"] = received
    if received:
        for channel in ("in_person", "online", "letter"):
            code = f"applications_received.{channel}"
            if f.get(code) and rng.random() < 0.6:
                prose[code] = f[code]
        if rng.random() < 0.8:
            prose["applications_answered"] = answered
            for code in ("granted", "partial", "denied", "not_held", "not_exist"):
                if code in f and (f[code] or rng.random() < 0.5):
                    prose[code] = f[code]
    prose["reconsideration"] = f["reconsideration"]
    prose["litigation"] = f["litigation"]
    if rng.random() < 0.3:
        prose["complaints"] = f["complaints"]
    if rng.random() < 0.7:
        prose["fees"] = 0
    if breaking:
        table_codes = {code for code, *_ in rep.legacy_rows}
        # not fees: the prose states them only as 「本年度未收取任何费用」, which cannot carry another figure
        shared = [c for c in prose if c in table_codes and c != "fees"]
        if shared:
            code = rng.choice(shared)
            prose[code] += rng.choice((1, 2, 5, 100))
            rep.broken.append({"rule": "legacy_prose_table_agreement", "at": code})


BREAKABLE = ("applicant_sum", "outcome_sum", "intake_balance", "review_block_sum", "continuity", "narrative")


def make_report(state: AgencyState, year: int, rng: random.Random, options: Options) -> Report:
    """The content of the agency's report for `year`; updates the agency's carried-over state."""
    template = template_of(year)
    full = state.full_prefix if rng.random() >= 0.1 else not state.full_prefix
    name = agency_name(state, year, full)
    aggregate = state.aggregate
    scope = "regional_aggregate" if aggregate else "government" if name.endswith("人民政府") else "agency"
    rep = Report(state.plan.index, name, year, template, scope, aggregate)
    rep.proactive_items = max(1, round(rng.lognormvariate(5, 1.3)))
    breaking = rng.choice(BREAKABLE) if rng.random() < options.break_share else None
    if template == "legacy":
        _legacy(state, rep, rng, options, breaking is not None)
        state.carried_forward = None
        return rep
    if breaking == "continuity" and state.carried_forward is None:
        breaking = "applicant_sum"
    _t3(state, rep, rng, breaking)
    _t4(state, rep, rng)
    _t2(state, rep, rng, subrows=template == "2019" and rng.random() < 0.3)
    if breaking in ("applicant_sum", "outcome_sum", "intake_balance", "review_block_sum"):
        _break_table(rep, rng, breaking)
    _narrative(rep, rng, "narrative_table_agreement" if breaking == "narrative" else None)
    previous = state.carried_forward
    if previous is not None:
        differing = [COLUMNS[i] for i in range(7) if rep.t3["carried_over"][i] != previous[i]]
        if differing:
            rep.broken.append({"rule": "continuity", "at": ",".join(differing)})
    state.carried_forward = list(rep.t3["carried_forward"])
    no_applications = all(not any(rep.t3[r]) for r in rep.t3)
    rep.t3_omitted = no_applications and not rep.broken and rng.random() < 0.3
    if rep.t3_omitted:
        rep.narrative["applications_received"] = 0
        rep.narrative.pop("applications_carried_over", None)
    return rep


# --------------------------------------------------------------------------------------------------
# The document: paragraphs and tables of merged cells, before any format


@dataclass(slots=True)
class Cell:
    text: str  # label: "\n" = a line break inside the cell, "\n\n" = a break with an empty line
    rs: int = 1
    cs: int = 1
    key: str | None = (
        None  # value cells: where the expected value is (t3/<row>/<col>, t4/<i>, t2/<cat>/<metric>, lg/<code>)
    )


@dataclass(slots=True)
class Table:
    name: str  # t2, t3, t4, legacy
    rows: list[list[Cell]]


@dataclass(slots=True)
class Block:
    kind: str  # title, p (prose), h (heading), table, sig (signature lines), pre (附件1)
    text: str = ""
    lines: tuple[str, ...] = ()
    table: Table | None = None


@dataclass
class Style:
    """Per report: how its writer labelled and wrapped things."""

    partial_long: bool
    group_wrap: str  # "", "\n", "\n\n"
    org_wrap: bool
    result_wrap: str  # "", "pairs", "chars"
    outcomes_wrap: bool
    long_label_wrap: bool
    typo_reconsideration: bool
    half_width: bool
    numbered_headings: str  # numbered, plain, mixed
    title: str  # one_line, two_lines, year_first
    attachment: bool
    alias: bool  # a second name in brackets after the agency's (北京市东城区对外联络服务办公室（…支援合作办公室）)


def _style(rng: random.Random) -> Style:
    return Style(
        partial_long=rng.random() < 0.6,
        group_wrap=rng.choice(("", "", "\n", "\n\n")),
        org_wrap=rng.random() < 0.5,
        result_wrap=rng.choice(("", "", "pairs", "chars")),
        outcomes_wrap=rng.random() < 0.2,
        long_label_wrap=rng.random() < 0.2,
        typo_reconsideration=rng.random() < 0.03,
        half_width=rng.random() < 0.1,
        numbered_headings=rng.choice(("numbered", "numbered", "plain", "mixed")),
        title=rng.choice(("one_line", "two_lines", "two_lines", "year_first")),
        attachment=rng.random() < 0.1,
        alias=rng.random() < 0.5,
    )


def _wrap_group(label: str, how: str) -> str:
    return label if not how else label[:5] + how + label[5:]  # 「（三）不予\n\n公开」


def _wrap_result(label: str, how: str) -> str:
    if how == "pairs" and len(label) == 4:
        return label[:2] + "\n" + label[2:]
    if how == "chars" and label == "结果维持":
        return "\n".join(label)
    if how and label == "总计":
        return "总 计"
    return label


def _wrap_long(label: str) -> str:
    """A long label wrapped in its cell: the continuation lines short, as Word wraps narrow columns."""
    if len(label) <= 20:
        return label
    head, rest = label[: len(label) - 15], label[len(label) - 15 :]
    return head + "\n" + rest


def _t3_table(rep: Report, style: Style) -> Table:
    template, values = rep.template, rep.t3
    org_labels = [label[:2] + "\n" + label[2:] if style.org_wrap and len(label) == 4 else label for label in ORG_LABELS]
    note = T3_NOTE.replace("（", "(").replace("）", ")") if style.half_width else T3_NOTE
    rows: list[list[Cell]] = [
        [Cell(note, 3, 3), Cell("申请人情况", 1, 7)],
        [Cell("自然人", 2), Cell("法人或其他组织", 1, 5), Cell("总计", 2)],
        [Cell(label) for label in org_labels],
    ]

    def cells(code: str) -> list[Cell]:
        return [Cell(str(v), key=key) for v, key in zip(values[code], T3_KEYS[code], strict=True)]

    def label(code: str) -> str:
        text = T3_LABEL[code]
        if code == "partial" and not style.partial_long:
            return "（二）部分公开"
        if style.long_label_wrap:
            text = _wrap_long(text)
        return text.replace("（", "(").replace("）", ")") if style.half_width else text

    rows.append([Cell(label("new_received"), cs=3), *cells("new_received")])
    rows.append([Cell(label("carried_over"), cs=3), *cells("carried_over")])
    outcomes_label = "三、本年度办\n理结果" if style.outcomes_wrap else "三、本年度办理结果"
    rows.append([Cell(outcomes_label, rs=len(OUTCOMES[template]) + 1), Cell(label("granted"), cs=2), *cells("granted")])
    rows.append([Cell(label("partial"), cs=2), *cells("partial")])
    for group, codes in T3_GROUPS[template]:
        for i, code in enumerate(codes):
            head = [Cell(_wrap_group(group, style.group_wrap), rs=len(codes))] if i == 0 else []
            rows.append([*head, Cell(label(code)), *cells(code)])
    if template == "2019":
        rows.append([Cell(label("other_total"), cs=2), *cells("other_total")])
    rows.append([Cell(label("processed_total"), cs=2), *cells("processed_total")])
    rows.append([Cell(label("carried_forward"), cs=3), *cells("carried_forward")])
    return Table("t3", rows)


def _t4_table(rep: Report, style: Style) -> Table:
    results = [_wrap_result(label, style.result_wrap) for label in RESULT_LABELS]
    return Table(
        "t4",
        [
            [Cell("行政法复议" if style.typo_reconsideration else "行政复议", cs=5), Cell("行政诉讼", cs=10)],
            [*(Cell(label, rs=2) for label in results), Cell("未经复议直接起诉", cs=5), Cell("复议后起诉", cs=5)],
            [Cell(label) for label in results * 2],
            [Cell(str(v), key=f"t4/{i}") for i, v in enumerate(rep.t4)],
        ],
    )


def _spans(measures: int) -> tuple[int, ...]:
    return {3: (1, 1, 1), 2: (1, 2), 1: (3,)}[measures]


def _t2_table(rep: Report, style: Style, rng: random.Random) -> Table:
    subrows = [code for code, *_ in rep.t2 if code.startswith("other_admin_service.")]
    width = 2 if subrows else 1
    rows: list[list[Cell]] = []
    by_code = {code: (label, cells) for code, label, cells in rep.t2}
    for item, measures, categories in T2_LAYOUT[rep.template]:
        item_label = item.replace("（", "(").replace("）", ")") if style.half_width else item
        rows.append([Cell(item_label, cs=width + 3)])
        spans = _spans(len(measures))
        headers = [T2_MEASURE_LABEL[m] for m in measures]
        if "procurement_amount" in measures and rng.random() < 0.5:
            headers[-1] = "采购总金额（万元，保留四位小数）"
        rows.append([Cell("信息内容", cs=width), *(Cell(h, cs=s) for h, s in zip(headers, spans, strict=True))])
        for code, label in categories:
            if code == "other_admin_service" and subrows:
                for i, sub in enumerate(subrows):
                    sub_label, values = by_code[sub]
                    head = [Cell(label, rs=len(subrows))] if i == 0 else []
                    rows.append([*head, Cell(sub_label), *_t2_values(sub, values, spans)])
                continue
            rows.append([Cell(label, cs=width), *_t2_values(code, by_code[code][1], spans)])
    return Table("t2", rows)


def _t2_values(code: str, values: list[tuple[str, str, int | float]], spans: tuple[int, ...]) -> list[Cell]:
    return [
        Cell(printed, cs=s, key=f"t2/{code}/{metric}") for (metric, printed, _), s in zip(values, spans, strict=True)
    ]


def _legacy_table(rep: Report) -> Table:
    if rep.legacy_kind == "national":
        rows = [[Cell("统计指标"), Cell("单位"), Cell("统计数")]]
        rows += [
            [Cell(label), Cell(unit), Cell(str(this), key=f"lg/{code}")]
            for code, label, unit, this, _ in rep.legacy_rows
        ]
    else:
        rows = [[Cell("指标名称"), Cell("计量单位"), Cell(f"{rep.year}年度"), Cell("历年累计")]]
        rows += [
            [Cell(label), Cell(unit), Cell(str(this), key=f"lg/{code}"), Cell(str(cum), key=f"lgc/{code}")]
            for code, label, unit, this, cum in rep.legacy_rows
        ]
    return Table("legacy", rows)


def _short_name(rep: Report) -> str:
    """How the prose names the agency: 我局, 我中心, 本单位 …"""
    for ending, short in (
        ("人民政府", "我区" if rep.agency[-5:-4] in "区" else "本级政府"),
        ("办公室", "我办"),
        ("委员会", "我委"),
        ("局", "我局"),
        ("中心", "我中心"),
        ("街道办事处", "本街道"),
    ):
        if rep.agency.endswith(ending):
            return short
    return "本单位"


def _title_blocks(rep: Report, style: Style, kind: str) -> list[Block]:
    year, agency = rep.year, rep.agency
    suffix = "政府信息公开工作年度报告"
    if rep.template == "legacy":
        suffix = ("政府信息公开工作年度报告", "政府信息公开工作年报", "信息公开年度报告")[rep.year % 3]
    blocks = [Block("pre", "附件1")] if style.attachment else []
    if style.alias and agency.endswith("对外联络服务办公室") and style.title != "year_first":
        alias = "（" + agency.replace("对外联络服务办公室", "支援合作办公室") + "）"
        if kind == "flattened":
            blocks.append(Block("title", lines=(f"{agency}{alias}{year}年{suffix}",)))
        else:
            blocks.append(Block("title", lines=(agency, f"{alias}{' ' * 14}{year}年{suffix}")))
        return blocks
    if style.title == "year_first":
        # 「2018年X人民政府信息公开年度报告」 would not say where the agency ends: titles with the year first
        # always say 政府信息公开
        suffix = suffix if suffix.startswith("政府") else "政府信息公开工作年报"
        blocks.append(Block("title", lines=(f"{year}年{agency}{suffix}",)))
    elif style.title == "two_lines" and kind != "flattened":
        blocks.append(Block("title", lines=(agency, f"{year}年{suffix}")))
    else:
        blocks.append(Block("title", lines=(f"{agency}{year}年{suffix}",)))
    return blocks


def _headings(style: Style, rng: random.Random) -> list[str]:
    out = []
    for i, variants in enumerate(HEADINGS_2019):
        if style.numbered_headings == "plain" or (style.numbered_headings == "mixed" and rng.random() < 0.5):
            out.append(variants[1])
        else:
            out.append(variants[0] if len(variants) < 3 or rng.random() < 0.8 else variants[2])
        if i == 0 and out[-1] == "总体情况" and rng.random() < 0.5:
            out[-1] = "一、总体情况"
    return out


def _opening(rep: Report, rng: random.Random) -> str:
    year = rep.year
    period = rng.choice(
        (
            f"本报告中所列数据的统计期限自{year}年1月1日起至{year}年12月31日止。",
            f"本报告所列数据统计期限为{year}年1月1日至{year}年12月31日。",
        )
    )
    if rep.template == "legacy":
        start = "本报告根据《中华人民共和国政府信息公开条例》和本省政府信息公开有关规定编制。"
    else:
        start = rng.choice(
            (
                "依据《中华人民共和国政府信息公开条例》（以下简称《政府信息公开条例》）第五十条规定，编制本报告。",
                "本报告根据《中华人民共和国政府信息公开条例》（以下简称《条例》）要求编制，全文包括总体情况、"
                "主动公开政府信息情况、收到和处理政府信息公开申请情况、存在的主要问题及改进情况等部分。",
            )
        )
    aggregate = ""
    if rep.aggregate:
        aggregate = rng.choice(
            (
                "本报告由本级政府办公室根据各部门政府信息公开工作年度报告汇总编制。",
                f"本报告汇总{rep.agency}各有关单位政府信息公开工作情况编制而成。",
            )
        )
    return start + aggregate + period + "如对本报告有任何疑问，请与政府信息公开工作机构联系。"


def _filler(rng: random.Random, count: int) -> str:
    return "".join(rng.sample(GENERAL, count))


def _signature(rep: Report, rng: random.Random) -> Block:
    date = f"{rep.year + 1}年{rng.randrange(1, 4)}月{rng.randrange(1, 29)}日"
    return Block("sig", lines=(rep.agency, date))


def build_document(rep: Report, style: Style, rng: random.Random, kind: str) -> list[Block]:
    """The report as blocks in reading order; `kind` is the format (a few habits depend on it)."""
    if rep.template == "legacy":
        return _legacy_document(rep, style, rng, kind)
    blocks = _title_blocks(rep, style, kind)
    heads = _headings(style, rng)
    short = _short_name(rep)
    n = rep.narrative
    blocks.append(Block("p", _opening(rep, rng)))
    blocks.append(Block("h", heads[0]))
    blocks.append(Block("h", SUBHEADINGS[0]))
    text = _filler(rng, 2)
    if "proactive_items" in n:
        text += rng.choice(("全年", f"{rep.year}年，{short}共")) + f"主动公开政府信息{n['proactive_items']}条。"
    blocks.append(Block("p", text))
    blocks.append(Block("h", SUBHEADINGS[1]))
    text = _filler(rng, 1)
    if "applications_received" in n:
        received = n["applications_received"]
        if received == 0 and "applications_carried_over" not in n:
            text += "本年度未收到政府信息公开申请。"
        else:
            text += f"{rep.year}年{short}新收政府信息公开申请数量{received}件"
            if "applications_carried_over" in n:
                text += f"，上年结转政府信息公开申请数量{n['applications_carried_over']}件"
            text += "，均已按规定答复。"
    if "reconsideration" in n:
        text += f"因政府信息公开工作被申请行政复议{n['reconsideration']}件，被提起行政诉讼{n['litigation']}件。"
    blocks.append(Block("p", text))
    for sub in SUBHEADINGS[2:]:
        blocks.append(Block("h", sub))
        blocks.append(Block("p", _filler(rng, rng.randrange(1, 3))))
    blocks.append(Block("h", heads[1]))
    blocks.append(Block("table", table=_t2_table(rep, style, rng)))
    blocks.append(Block("h", heads[2]))
    if rep.t3_omitted:
        blocks.append(Block("p", "本年度未收到政府信息公开申请，无相关统计数据。"))
    else:
        blocks.append(Block("table", table=_t3_table(rep, style)))
    blocks.append(Block("h", heads[3]))
    blocks.append(Block("table", table=_t4_table(rep, style)))
    blocks.append(Block("h", heads[4]))
    blocks.append(Block("p", "".join(PROBLEMS[: rng.randrange(2, 4)])))
    blocks.append(Block("p", "".join(rng.sample(IMPROVEMENTS, 2))))
    blocks.append(Block("h", heads[5]))
    if "fees_charged" in n:
        fee = n["fees_charged"]
        if fee == 0:
            blocks.append(
                Block(
                    "p",
                    rng.choice(
                        (
                            "本单位依据《政府信息公开信息处理费管理办法》收取信息处理费，发出收费通知的件数和总金额"
                            "以及实际收取的总金额均为0。",
                            "本年度未收取信息处理费。",
                        )
                    ),
                )
            )
        else:
            blocks.append(Block("p", f"本年度共收取信息处理费{fee}元。"))
    else:
        blocks.append(Block("p", "无其他需要报告的事项。"))
    if rng.random() < 0.6:
        blocks.append(_signature(rep, rng))
    return blocks


def _legacy_document(rep: Report, style: Style, rng: random.Random, kind: str) -> list[Block]:
    blocks = _title_blocks(rep, style, kind)
    prose, short = rep.legacy_prose, _short_name(rep)
    opening = _opening(rep, rng)
    if rep.aggregate:
        opening = opening.replace("本级政府办公室根据各部门", "本级政府办公室根据各工作部门")
    blocks.append(Block("p", opening))
    blocks.append(Block("h", LEGACY_HEADINGS[0]))
    blocks.append(Block("p", _filler(rng, 2)))
    blocks.append(Block("h", LEGACY_HEADINGS[1]))
    if "proactive_items" in prose:
        text = f"{rep.year}年，{short}共主动公开政府信息{prose['proactive_items']}条。"
        share = rep.legacy_facts["proactive_items.website"]
        if 0 < share < prose["proactive_items"] and rng.random() < 0.5:
            text += f"其中，通过政府网站主动公开政府信息{share}条，占{share * 100 // prose['proactive_items']}%。"
        blocks.append(Block("p", text + _filler(rng, 1)))
    else:
        blocks.append(Block("p", _filler(rng, 2)))
    blocks.append(Block("h", LEGACY_HEADINGS[2]))
    received = prose["applications_received"]
    if received == 0:
        text = rng.choice(("本年度未收到政府信息公开申请。", f"{rep.year}年{short}未收到政府信息公开申请。"))
    else:
        text = f"{rep.year}年{short}共收到政府信息公开申请{received}件"
        channels = [
            (label, prose[f"applications_received.{code}"])
            for code, label in (("in_person", "当面申请"), ("online", "网络申请"), ("letter", "信函申请"))
            if f"applications_received.{code}" in prose
        ]
        if channels:
            text += "，其中" + "、".join(f"{label}{count}件" for label, count in channels)
        text += "。"
        if "applications_answered" in prose:
            text += f"对申请的答复总数{prose['applications_answered']}件"
            answers = [
                (label, prose[code])
                for code, label in (
                    ("granted", "同意公开"),
                    ("partial", "同意部分公开"),
                    ("denied", "不予公开"),
                    ("not_held", "不属于本机关公开范围"),
                    ("not_exist", "信息不存在"),
                )
                if code in prose
            ]
            if answers:
                text += "，其中" + "，".join(f"{label}{count}件" for label, count in answers)
            text += "。"
    blocks.append(Block("p", text))
    blocks.append(Block("h", LEGACY_HEADINGS[3]))
    reconsideration, litigation = prose["reconsideration"], prose["litigation"]
    if reconsideration == 0 and litigation == 0:
        text = "本年度未发生因政府信息公开申请提起行政复议和行政诉讼的情况。"
    elif litigation == 0:
        text = f"因政府信息公开申请提起行政复议{reconsideration}件，未发生行政诉讼。"
    else:
        text = f"因政府信息公开申请提起行政复议{reconsideration}件、行政诉讼{litigation}件。"
    if "complaints" in prose:
        text += f"收到有关政府信息公开的举报投诉{prose['complaints']}件。"
    blocks.append(Block("p", text))
    blocks.append(Block("h", LEGACY_HEADINGS[4]))
    blocks.append(Block("p", "本年度未收取任何费用。" if "fees" in prose else "依申请提供政府信息的工作正常开展。"))
    blocks.append(Block("h", LEGACY_HEADINGS[5]))
    blocks.append(Block("p", "".join(PROBLEMS[:2]) + rng.choice(IMPROVEMENTS)))
    signature = _signature(rep, rng) if rng.random() < 0.6 else None
    if signature and rep.legacy_kind:  # the date before the attached table, as 平潭's pages print it
        blocks.append(signature)
        signature = None
    if rep.legacy_kind:
        blocks.append(Block("p", f"附件：{rep.agency}{rep.year}年政府信息公开情况统计表"))
        blocks.append(Block("table", table=_legacy_table(rep)))
    if signature:
        blocks.append(signature)
    return blocks


# --------------------------------------------------------------------------------------------------
# Formats. Each renderer returns the file's bytes and what the format does to the expected values:
# {"blank": keys of cells printed empty, "unresolved": keys of cells whose digits cannot be told apart}.


@dataclass
class Rendered:
    data: bytes
    blank: set[str] = field(default_factory=set)
    unresolved: set[str] = field(default_factory=set)


def grid_positions(rows: list[list[Cell]]) -> list[list[tuple[Cell, bool]]]:
    """Per row, the cells Word writes in it, in column order, and whether each continues a cell from a row
    above (a vertical merge: Word writes a cell for every row the merge covers, a dump an empty line)."""
    layout = _grid_layout(tuple(tuple((cell.rs, cell.cs) for cell in row) for row in rows))
    return [[(rows[r][i], continues) for r, i, continues in row] for row in layout]


@lru_cache(maxsize=256)  # tables of one template have the same few shapes
def _grid_layout(shape: tuple[tuple[tuple[int, int], ...], ...]) -> tuple[tuple[tuple[int, int, bool], ...], ...]:
    covered: dict[tuple[int, int], tuple[int, int]] = {}  # grid position -> (row, index) of the cell covering it
    for r, row in enumerate(shape):
        column = 0
        for i, (rs, cs) in enumerate(row):
            while (r, column) in covered:
                column += 1
            for dr in range(rs):
                for dc in range(cs):
                    covered[(r + dr, column + dc)] = (r, i)
            column += cs
    width = 1 + max(c for _, c in covered)
    layout = []
    for r in range(len(shape)):
        row_positions = []
        previous = None
        for c in range(width):
            entry = covered.get((r, c))
            if entry is None or entry == previous:
                continue
            previous = entry
            row_positions.append((entry[0], entry[1], entry[0] != r))
        layout.append(tuple(row_positions))
    return tuple(layout)


def _encode(text: str, rng: random.Random, allow_utf16: bool) -> bytes:
    """UTF-8 mostly; sometimes with a BOM, in GB18030, or (text dumps) UTF-16, as Windows tools save."""
    roll = rng.random()
    if roll < 0.04:
        return text.encode("utf-8-sig")
    if roll < 0.08:
        return text.encode("gb18030")
    if allow_utf16 and roll < 0.1:
        return text.encode("utf-16")
    return text.encode("utf-8")


# --- Word-to-text dumps ---------------------------------------------------------------------------

PADDINGS = (("{}",), ("\u3000\u3000{}", "\xa0\u3000{}", "\xa0{}"), ("\xa0{}", "{}\xa0"), ("{}", " {}", "{} "))


def render_text(blocks: list[Block], rng: random.Random) -> Rendered:
    lines: list[str] = []
    indent = rng.choice(("", "", "    ", "\u3000\u3000"))
    blank_between = rng.random() < 0.4
    padding = rng.choice(PADDINGS)
    for block in blocks:
        if block.kind == "table":
            if lines and lines[-1] == "" and blank_between:
                lines.pop()
            lines += _text_table(block.table, padding, rng)
            lines += ["", ""]
            continue
        if block.kind == "title":
            lines += block.lines
            lines.append("")
        elif block.kind == "sig":
            lines += ["", block.lines[0] + " " * rng.randrange(0, 14), " " * rng.randrange(0, 14) + block.lines[1]]
        elif block.kind == "pre":
            lines += [block.text, ""]
        elif block.kind == "h":
            lines.append(block.text if rng.random() < 0.8 else indent + block.text)
        else:
            trailing = "\xa0" if rng.random() < 0.2 else ""
            lines.append(indent + block.text + trailing)
        if blank_between:
            lines.append("")
    lines.append("")
    return Rendered(_encode("\n".join(lines), rng, allow_utf16=True))


def _text_table(table: Table, padding: tuple[str, ...], rng: random.Random) -> list[str]:
    lines: list[str] = []
    for row in grid_positions(table.rows):
        for cell, continues in row:
            if continues:
                lines.append("\t")
            elif cell.key is not None:
                lines.append("\t" + rng.choice(padding).format(cell.text))
            else:
                first, *rest = cell.text.split("\n")
                lines.append("\t" + first)
                lines += rest
        lines.append("")
    return lines[:-1]


# --- web pages --------------------------------------------------------------------------------------

WEB_HEAD = (
    '<!DOCTYPE html>\n<html lang="zh-CN">\n<head>\n<meta charset="{charset}">\n<title>{title}</title>\n'
    '<link rel="stylesheet" href="/css/article.css">\n<script type="text/javascript">\n'
    "var _hmt = _hmt || []; (function() {{ var hm = document.createElement('script'); }})();\n</script>\n"
    "<style>.article p {{ text-indent: 2em; line-height: 1.8; }} td {{ border: 1px solid #000; }}</style>\n"
    "</head>\n<body>\n"
    '<header><a href="/">首页</a> | <a href="/zwgk/">政务公开</a> | <a href="/hdjl/">互动交流</a></header>\n'
    '<nav class="crumbs">当前位置：首页 &gt; 政务公开 &gt; 政府信息公开年报</nav>\n{crumbs}'
    '<div class="article">\n'
)
# Some sites print the breadcrumb trail in a plain <div>, so it is text of the page before the title.
WEB_CRUMBS = '<div class="position">当前位置：<a href="/">首页</a> &gt; <a href="/zwgk/">政务公开</a></div>\n'
WEB_TAIL = (
    "</div>\n<footer><p>主办单位：{agency}　网站标识码：1101010001</p></footer>\n"
    "<script>document.getElementById('print').onclick = function() {{ window.print(); }};</script>\n"
    "</body>\n</html>\n"
)
WORD_HEAD = (
    '<html xmlns:v="urn:schemas-microsoft-com:vml"\nxmlns:o="urn:schemas-microsoft-com:office:office"\n'
    'xmlns:w="urn:schemas-microsoft-com:office:word"\nxmlns="http://www.w3.org/TR/REC-html40">\n\n<head>\n'
    '<meta http-equiv=Content-Type content="text/html; charset={charset}">\n<meta name=ProgId content=Word.Document>\n'
    "<title>{title}</title>\n<style>\n<!--\n p.MsoNormal, li.MsoNormal, div.MsoNormal\n\t{{margin:0cm;\n"
    "\ttext-align:justify;\n\tfont-size:10.5pt;\n\tfont-family:等线;}}\n-->\n</style>\n</head>\n\n"
    "<body lang=ZH-CN style='tab-interval:21.0pt'>\n\n<div class=WordSection1>\n\n"
)
WORD_TAIL = "</div>\n\n</body>\n\n</html>\n"
WORD_TABLE_START = (
    "<table class=MsoTableGrid border=1 cellspacing=0 cellpadding=0\n style='border-collapse:collapse;border:none'>\n"
)
WORD_EMPTY_CELL = (
    "  <p class=MsoNormal align=center style='text-align:center'><span lang=EN-US><o:p>&nbsp;</o:p></span></p>\n"
)


def _esc(text: str) -> str:
    return html.escape(text, quote=False)


def _blank_cells(blocks: list[Block], rng: random.Random) -> set[str]:
    """The zero cells of tables 3 and 4 a web page leaves blank (a few stay printed, as on real pages)."""
    blank: set[str] = set()
    for block in blocks:
        if block.kind != "table" or block.table.name not in ("t3", "t4"):
            continue
        zeros = [c.key for row in block.table.rows for c in row if c.key and c.text == "0" and rng.random() < 0.92]
        values = sum(1 for row in block.table.rows for c in row if c.key)
        if block.table.name == "t4" and len(zeros) == values:
            zeros.pop(rng.randrange(len(zeros)))  # a row of blanks only is no data row at all
        blank.update(zeros)
    return blank


def render_html(blocks: list[Block], rng: random.Random, options: Options) -> Rendered:
    blank = _blank_cells(blocks, rng) if rng.random() < options.blank_share else set()
    word = rng.random() < 0.35
    one_line = not word and rng.random() < 0.5
    title = "".join(next(b.lines for b in blocks if b.kind == "title"))
    charset_roll = rng.random()
    charset = "gb18030" if charset_roll < 0.05 else "utf-8"
    parts: list[str] = []
    sep = "" if one_line else "\n"
    for block in blocks:
        if block.kind == "title":
            if word:
                parts += [
                    f"<p class=MsoNormal align=center style='text-align:center'><b><span\nstyle='font-size:22.0pt'>"
                    f"{_esc(line)}<o:p></o:p></span></b></p>\n"
                    for line in block.lines
                ]
            else:
                parts += [f"<p style='text-align: center;font-weight: bold;'>{_esc(line)}</p>" for line in block.lines]
                if rng.random() < 0.5:
                    parts.append(
                        f"<p style='text-align: center'>发布日期：{block.lines[-1][:4]}-0{rng.randrange(1, 4)}-15</p>"
                    )
        elif block.kind == "table":
            parts.append(_html_table(block.table, blank, word, rng))
        elif block.kind == "sig":
            parts += [f"<p style='text-align: right'>{_esc(line)}</p>" for line in block.lines]
        elif word:
            parts.append(
                "<p class=MsoNormal style='text-indent:24.0pt'><span style='font-size:12.0pt;font-family:仿宋'>"
                f"{_esc(block.text)}<o:p></o:p></span></p>\n"
            )
        else:
            parts.append(f"<p>{_esc(block.text)}</p>")
    crumbs = WEB_CRUMBS if rng.random() < 0.1 else ""
    head = (WORD_HEAD if word else WEB_HEAD).format(charset=charset, title=_esc(title), crumbs=crumbs)
    tail = WORD_TAIL if word else WEB_TAIL.format(agency=_esc(title[:12]))
    text = head + sep.join(parts) + "\n" + tail
    data = text.encode("gb18030") if charset == "gb18030" else text.encode("utf-8")
    return Rendered(data, blank=blank)


def _html_table(table: Table, blank: set[str], word: bool, rng: random.Random) -> str:
    out = [WORD_TABLE_START if word else '<table align="center" border="1" cellspacing="1"><tbody>']
    # how this page writes its cells: blanks as a paragraph or bare, labels centred or not
    style = (rng.random() < 0.7, rng.random() < 0.5)
    for row in table.rows:
        out.append(" <tr>\n" if word else "<tr>")
        for cell in row:
            empty = cell.key is not None and cell.key in blank
            if word:
                out.append(_word_cell(cell.text, cell.rs, cell.cs, empty))
            else:
                out.append(_web_cell(cell.text, cell.rs, cell.cs, empty, cell.key is not None, style))
        out.append(" </tr>\n" if word else "</tr>")
    out.append("</table>\n" if word else "</tbody></table>")
    return "".join(out)


@lru_cache(maxsize=1 << 14)
def _web_cell(text: str, rs: int, cs: int, empty: bool, value: bool, style: tuple[bool, bool]) -> str:
    spans = (f' colspan="{cs}"' if cs > 1 else "") + (f' rowspan="{rs}"' if rs > 1 else "")
    if empty:
        inner = '<p align="center">&nbsp;</p>' if style[0] else "&nbsp;"
    else:
        escaped = _esc(text).replace("\n\n", "\n").replace("\n", "<br />")
        inner = f'<p align="center">{escaped}</p>' if value or style[1] else f"<p>{escaped}</p>"
    return f'<td nowrap="nowrap"{spans} style="width:{40 * cs}px;">{inner}</td>'


@lru_cache(maxsize=1 << 14)
def _word_cell(text: str, rs: int, cs: int, empty: bool) -> str:
    spans = (f" colspan={cs}" if cs > 1 else "") + (f" rowspan={rs}" if rs > 1 else "")
    lines = [] if empty else [line for line in text.split("\n") if line]
    paragraphs = (
        "".join(
            f"  <p class=MsoNormal align=center style='text-align:center'><span lang=EN-US>{_esc(line)}"
            "<o:p></o:p></span></p>\n"
            for line in lines
        )
        or WORD_EMPTY_CELL
    )
    width = 57 * cs
    return (
        f"  <td width={width}{spans} valign=top style='width:{width * 0.75:.1f}pt;"
        f"border:solid windowtext 1.0pt;\n  padding:0cm 5.4pt 0cm 5.4pt'>\n{paragraphs}  </td>\n"
    )


# --- Word files -------------------------------------------------------------------------------------

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
DOCX_CONTENT_TYPES = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    b'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    b'<Default Extension="xml" ContentType="application/xml"/>'
    b'<Override PartName="/word/document.xml" '
    b'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>'
)
DOCX_RELATIONSHIPS = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    b'<Relationship Id="rId1" '
    b'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    b'Target="word/document.xml"/></Relationships>'
)
_SCRIPTS = re.compile(r"[\x00-\x7f\xa0]+|[^\x00-\x7f\xa0]+")  # Word starts a new run where the script changes


def _xml(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _w_runs(text: str) -> str:
    runs = []
    for run in _SCRIPTS.findall(text):
        space = ' xml:space="preserve"' if run != run.strip(" ") else ""
        properties = (
            '<w:rPr><w:sz w:val="21"/><w:lang w:val="en-US"/></w:rPr>'
            if run[0].isascii()
            else ('<w:rPr><w:rFonts w:hint="eastAsia"/><w:sz w:val="21"/></w:rPr>')
        )
        runs.append(f"<w:r>{properties}<w:t{space}>{_xml(run)}</w:t></w:r>")
    return "".join(runs)


@lru_cache(maxsize=1 << 14)  # cell texts repeat endlessly: labels, 0, small numbers
def _w_paragraph(text: str, centred: bool = False) -> str:
    properties = '<w:pPr><w:jc w:val="center"/></w:pPr>' if centred else '<w:pPr><w:ind w:firstLine="480"/></w:pPr>'
    return f"<w:p>{properties}{_w_runs(text)}</w:p>"


def _w_table(table: Table, rng: random.Random, pad: bool) -> str:
    positions = grid_positions(table.rows)
    width = max(sum(cell.cs for cell, _ in row) for row in positions)
    borders = "".join(
        f'<w:{side} w:val="single" w:sz="4" w:space="0" w:color="auto"/>'
        for side in ("top", "left", "bottom", "right", "insideH", "insideV")
    )
    grid = '<w:gridCol w:w="850"/>' * width
    out = [
        f'<w:tbl><w:tblPr><w:tblW w:w="0" w:type="auto"/><w:tblBorders>{borders}</w:tblBorders></w:tblPr>'
        f"<w:tblGrid>{grid}</w:tblGrid>"
    ]
    for row in positions:
        out.append("<w:tr>")
        for cell, continues in row:
            properties = f'<w:tcW w:w="{850 * cell.cs}" w:type="dxa"/>'
            if cell.cs > 1:
                properties += f'<w:gridSpan w:val="{cell.cs}"/>'
            if continues:
                properties += "<w:vMerge/>"
            elif cell.rs > 1:
                properties += '<w:vMerge w:val="restart"/>'
            if continues:
                paragraphs = "<w:p/>"
            elif cell.key is not None:
                text = f" {cell.text} " if pad and rng.random() < 0.3 else cell.text
                paragraphs = _w_paragraph(text, centred=True)
            else:
                paragraphs = (
                    "".join(_w_paragraph(line, centred=True) for line in cell.text.split("\n") if line) or "<w:p/>"
                )
            out.append(f"<w:tc><w:tcPr>{properties}</w:tcPr>{paragraphs}</w:tc>")
        out.append("</w:tr>")
    out.append("</w:tbl><w:p/>")
    return "".join(out)


def render_docx(blocks: list[Block], rng: random.Random) -> Rendered:
    body: list[str] = []
    pad = rng.random() < 0.3
    for block in blocks:
        if block.kind == "title":
            body += [_w_paragraph(line, centred=True) for line in block.lines]
        elif block.kind == "table":
            body.append(_w_table(block.table, rng, pad))
        elif block.kind == "sig":
            body += ['<w:p><w:pPr><w:jc w:val="right"/></w:pPr>' + _w_runs(line) + "</w:p>" for line in block.lines]
        else:
            body.append(_w_paragraph(block.text))
        if rng.random() < 0.15:
            body.append("<w:p/>")
    document = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<w:document xmlns:w="{W_NS}"><w:body>{"".join(body)}'
        '<w:sectPr><w:pgSz w:w="11906" w:h="16838"/></w:sectPr></w:body></w:document>'
    ).encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        for name, data in (
            ("[Content_Types].xml", DOCX_CONTENT_TYPES),
            ("_rels/.rels", DOCX_RELATIONSHIPS),
            ("word/document.xml", document),
        ):
            info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))  # fixed: same seed, same bytes
            info.compress_type = zipfile.ZIP_DEFLATED
            package.writestr(info, data, compresslevel=1)
    return Rendered(buffer.getvalue())


# --- PDF converted to Markdown ----------------------------------------------------------------------

_ASCII_DIGITS = re.compile(r"(?<=[^\x00-\x7f])(\d+(?:\.\d+)?)|(\d+(?:\.\d+)?)(?=[^\x00-\x7f])")


def _pdf_spaced(text: str) -> str:
    """Converters put spaces around numbers set in a Latin font: 「2024 年」, 「393 件」."""
    return _ASCII_DIGITS.sub(lambda m: f" {m.group(0)} " if m.group(1) is None else f" {m.group(0)}", text).replace(
        "  ", " "
    )


def _pdf_lines(text: str, width: int) -> list[str]:
    """A paragraph wrapped as a PDF line-wraps it, never next to a digit (a line ending in a number would
    read as a table row, a line of digits alone as a page number)."""
    lines, start = [], 0
    while len(text) - start > width:
        cut = start + width
        while cut > start + 8 and (
            text[cut - 1].isdigit() or text[cut].isdigit() or text[cut - 1] == " " or text[cut] == " "
        ):
            cut -= 1
        lines.append(text[start:cut])
        start = cut
    lines.append(text[start:])
    return [line.strip() for line in lines if line.strip()]


def _pipe(cells: Sequence[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _rule(cells: int) -> str:
    return "|" + "---|" * cells


class _MarkdownWriter:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.lines: list[str] = []
        self.page = rng.randrange(1, 3)
        self.since_page = 0
        self.in_piece = False
        self.width = 0

    def text(self, line: str) -> None:
        self.in_piece = False
        self.lines.append(line)
        self.since_page += 1
        if self.since_page > 30 and self.rng.random() < 0.1:
            self.page_break()

    def page_break(self) -> None:
        self.page += 1
        self.since_page = 0
        self.in_piece = False
        self.lines += ["", self.rng.choice(("- {} -", "— {} —", "{}")).format(self.page), ""]

    def row(self, cells: Sequence[str]) -> None:
        if not self.in_piece:
            self.lines.append(_pipe(cells))
            self.lines.append(_rule(len(cells)))
            self.in_piece = True
        else:
            self.lines.append(_pipe(cells))
        self.since_page += 1

    def gap(self) -> None:
        if self.in_piece:
            self.lines.append("")
        self.in_piece = False


def render_markdown(blocks: list[Block], rng: random.Random) -> Rendered:
    md = _MarkdownWriter(rng)
    width = rng.randrange(24, 36)
    torn = rng.random() < 0.5
    if rng.random() < 0.15:
        md.text("正文")
    for block in blocks:
        if block.kind == "title":
            if len(block.lines) == 1 and block.lines[0].endswith("年度报告"):
                md.text(_pdf_spaced(block.lines[0][:-4]).strip())
                md.text("年度报告")
            else:
                for line in block.lines:
                    md.text(_pdf_spaced(line).strip())
        elif block.kind in ("p", "pre"):
            for line in _pdf_lines(_pdf_spaced(block.text).strip(), width):
                md.text(line)
            if rng.random() < 0.5:
                md.text("")
        elif block.kind == "h":
            md.text(block.text)
        elif block.kind == "sig":
            for line in block.lines:
                md.text(_pdf_spaced(line).strip())
        else:
            table = block.table
            if table.name == "t2":
                _md_t2(md, table, rng)
            elif table.name == "t3":
                (_md_t3_torn if torn else _md_grid)(md, table, rng)
            elif table.name == "t4":
                (_md_t4_torn if torn else _md_grid)(md, table, rng)
            else:
                _md_grid(md, table, rng)
            md.gap()
    md.lines.append("")
    return Rendered("\n".join(md.lines).encode("utf-8"))


def _flat(text: str) -> str:
    return text.replace("\n", "")


def _grid_texts(table: Table) -> list[list[str]]:
    """The table as a converter lays a merged grid out: a merged cell's text in its first position."""
    out = []
    for row in grid_positions(table.rows):
        cells: list[str] = []
        for cell, continues in row:
            cells.append("" if continues else _flat(cell.text))
            cells += [""] * (cell.cs - 1)
        out.append(cells)
    return out


def _md_grid(md: _MarkdownWriter, table: Table, rng: random.Random) -> None:
    rows = _grid_texts(table)
    header_rows = {"t3": 3, "t4": 3}.get(table.name, 1)
    md.gap()
    if table.name == "t3" and rng.random() < 0.5:
        md.text("## 表三：收到和处理政府信息公开申请情况")
    for i, cells in enumerate(rows):
        md.row(cells)
        if header_rows <= i < len(rows) - 3 and rng.random() < 0.04:
            md.page_break()
            if rng.random() < 0.5:  # the converter repeats the table's header rows on the new page
                for header in rows[:header_rows]:
                    md.row(header)


def _md_t2(md: _MarkdownWriter, table: Table, rng: random.Random) -> None:
    """Table 2 as converters give it: article items as text lines, one-measure parts as text rows
    (「信息内容本年处理决定数量」, 「行政许可 97」), the others as pipe tables."""
    items: list[list[list[Cell]]] = []
    for row in table.rows:
        if len(row) == 1 and row[0].key is None:
            items.append([row])
        else:
            items[-1].append(row)
    for item in items:
        md.gap()
        md.text(_flat(item[0][0].text))
        header, *data = item[1:]
        measures = [c for c in header[1:]]
        plain = all(c.text[-1:].isdigit() for row in data for c in row if c.key)
        if len(measures) == 1 and plain and rng.random() < 0.6:
            md.text("信息内容" + _flat(measures[0].text))
            for row in data:
                labels = [_flat(c.text) for c in row if c.key is None]
                values = [c.text for c in row if c.key]
                md.text(f"{labels[-1]} {' '.join(values)}")
            continue
        if rng.random() < 0.3:
            md.text("## 表二：主动公开政府信息情况")
        md.row(["信息内容", *(_flat(c.text) for c in measures)])
        for row in data:
            md.row([_flat(c.text) for c in row])


def _chunks(text: str, rng: random.Random) -> list[str]:
    """A label torn out of its table row, as a converter prints it: a few characters per line."""
    text = _flat(text)
    out, start = [], 0
    while start < len(text):
        size = rng.randrange(5, 11)
        out.append(text[start : start + size])
        start += size
    # a piece of digits alone would read as a page number: keep it with its neighbour
    merged: list[str] = []
    for piece in out:
        if merged and (piece.strip(" .").isdigit() or merged[-1].strip(" .").isdigit()):
            merged[-1] += piece
        else:
            merged.append(piece)
    return merged


def _md_t3_torn(md: _MarkdownWriter, table: Table, rng: random.Random) -> None:
    """Table 3 as 008's converter tore it: the header garbled over text lines, some row labels printed
    away from their values, value rows without labels; anchors stay (the 一 row keeps its label)."""
    md.gap()
    md.text("申请人情况")
    md.text("（本列数据的勾稽关系为：第一项加第二项法人或其他组织")
    md.text("之和，等于第三项加第四项之和）")
    md.text("自然人总计")
    md.text("商业企科研机社会公法律服")
    md.text("其他")
    if rng.random() < 0.5:
        md.text("## 表三：收到和处理政府信息公开申请情况")
    md.row(["业", "构", "益组织", "务机构", "", "", "", "", ""])
    tear = rng.uniform(0.1, 0.5)
    pending: list[str] = []  # text lines to print before the next piece
    for row in table.rows[3:]:
        labels = [c for c in row if c.key is None]
        values = [c.text for c in row if c.key]
        leaf = labels[-1]
        extra = [c for c in labels[:-1] if c.text.startswith("（")]  # a group label, printed apart
        code = next(c.key for c in row if c.key).split("/")[1]
        for group in extra:
            pending += _chunks(group.text, rng)
        if any(c.text.startswith("三、") for c in labels[:-1]):
            pending += ["度办", "理结", "果"]
        if code != "new_received" and rng.random() < tear:
            pending += _chunks(leaf.text, rng)
            cells = values
        else:
            cells = [_flat(leaf.text), *values] + ([""] if rng.random() < 0.3 else [])
        if pending:
            md.gap()
            md.lines.append("")
            for line in pending:
                md.text(line)
            pending = []
        md.row(cells)
        if rng.random() < 0.04:
            md.page_break()


def _md_t4_torn(md: _MarkdownWriter, table: Table, rng: random.Random) -> None:
    md.gap()
    for line in ("行政复议行政诉讼", "未经复议直接起诉复议后起诉", "结果结果其他尚未", "总计", "总计总计"):
        md.text(line)
    md.text("维持纠正结果审结维持纠正结果审结")
    md.row(["维持", "纠正", "结果", "审结", "结果", "结果", "其他", "尚未", "结果", "结果", "其他", "尚未"])
    md.row([c.text for c in table.rows[-1]])


# --- crawled pages flattened to text ----------------------------------------------------------------

MAX_SPLITS = 20_000  # pipeline/readers/flattened.py lists the splits of a run only up to this many
SEARCH_CAP = 500  # rows with sums and more splits than this get a space rather than a long search
_CELL_NUMBER = re.compile(r"[+-]?(?:0|[1-9]\d*)(?:\.\d+)?(?:万元|人次|元|件|条|项|个|次)?")
_UNIT_SUFFIX = re.compile(r"(?:万元|人次|元|件|条|项|个|次)$")


def _cell_ends(run: str, cuts: set[int]) -> list[list[int]]:
    """For each position of the run (spaces removed), where a number starting there can end: never across
    a space of the printed run, never a leading 0 (but 0 itself), at most 24 characters (the parser's bound)."""
    n = len(run)
    ends: list[list[int]] = [[] for _ in range(n)]
    digits_only = run.isdigit()
    limit = n
    for i in range(n - 1, -1, -1):
        if i + 1 in cuts or i + 1 == n:
            limit = i + 1
        last = min(limit, i + 24)
        if digits_only:
            ends[i] = [i + 1] if run[i] == "0" else list(range(i + 1, last + 1))
        else:
            ends[i] = [j for j in range(i + 1, last + 1) if _CELL_NUMBER.fullmatch(run, i, j)]
    return ends


def split_is_certain(values: Sequence[str], spaces: Sequence[bool], rule: str | None) -> bool:
    """Whether pipeline/readers/flattened.py, following its rule, gets exactly these values back from the
    printed run: it cuts the run (spaces are certain boundaries) every way it can, keeps the splits that
    satisfy the row's sums (rule "row": six applicant columns = 总计; "blocks": each table-4 block's four
    results = its 总计; None: no sums), and takes a split only when it is the one left, or the only one."""
    run = "".join(values)
    cells = len(values)
    if all(spaces) or (len(run) == cells and run.isdigit()):
        return True  # one way to cut it
    cuts, position = set(), 0
    for value, space in zip(values[:-1], spaces, strict=True):
        position += len(value)
        if space:
            cuts.add(position)
    n = len(run)
    ends = _cell_ends(run, cuts)
    ways = [[0] * (cells + 1) for _ in range(n + 1)]
    ways[n][0] = 1
    for i in range(n - 1, -1, -1):
        row = ways[i]
        for j in ends[i]:
            after = ways[j]
            for k in range(1, cells + 1):
                row[k] += after[k - 1]
    possible = ways[0][cells]
    if possible == 1:
        return True
    if possible > MAX_SPLITS or rule is None:
        return False
    if possible > SEARCH_CAP:  # a row with sums: saying "not certain" only makes the caller add a space
        return False
    truth = list(itertools.accumulate(len(v) for v in values))
    numbers: list[float] = []
    positions: list[int] = []
    found = {"truth": False, "other": False}

    digits_only = run.isdigit()

    def value(i: int, j: int) -> float:
        return int(run[i:j]) if digits_only else _amount(run[i:j])

    def search(i: int, k: int) -> None:
        if found["other"]:
            return
        if k == cells:
            if rule == "row" and abs(sum(numbers[:6]) - numbers[6]) > 1e-6:
                return
            found["truth" if positions == truth else "other"] = True
            return
        if rule == "row" and k < 6 and numbers and sum(numbers) >= 10 ** (n - i - (6 - k)):
            return  # the parts already exceed any 总计 the rest of the run can hold
        for j in ends[i]:
            if not ways[j][cells - k - 1]:
                continue
            numbers.append(value(i, j))
            positions.append(j)
            if not (rule == "blocks" and k % 5 == 4 and abs(sum(numbers[k - 4 : k]) - numbers[k]) > 1e-6):
                search(j, k + 1)
            numbers.pop()
            positions.pop()

    search(0, 0)
    return found["truth"] and not found["other"]


def _amount(cell: str) -> float:
    return float(_UNIT_SUFFIX.sub("", cell))


def _flat_run(
    values: list[str], rule: str | None, rng: random.Random, spaced: float, may_stay_ambiguous: bool
) -> tuple[str, bool]:
    """A row's values as a crawler flattens them: run together, a space where the page had one; spaces are
    added until the split is certain, except for rows allowed to stay ambiguous (returned True)."""
    spaces = [rng.random() < spaced for _ in range(len(values) - 1)]
    while not split_is_certain(values, spaces, rule):
        if may_stay_ambiguous:
            return "".join(values), True
        free = [i for i, space in enumerate(spaces) if not space]
        spaces[rng.choice(free)] = True
    out = values[0]
    for value, space in zip(values[1:], spaces, strict=True):
        out += (" " if space else "") + value
    return out, False


def _legacy_splits(digits: str) -> int:
    """How many ways a run of two numbers reads as (this year, cumulative): no leading zeros, this <= cumulative."""
    count = 0
    for cut in range(1, len(digits)):
        first, second = digits[:cut], digits[cut:]
        if (len(first) > 1 and first[0] == "0") or (len(second) > 1 and second[0] == "0"):
            continue
        if int(first) <= int(second):
            count += 1
    return count


CRAWLER_HEADER = (
    "标题: {title}\n发布时间: {published}\n文号: \n发布机构: {publisher}\n栏目: 政府信息公开年报\n"
    "原文链接: https://www.{site}.gov.cn/zwgk/zfxxgk/zfxxgknb/{month}/t{day}_{page}.htm\n"
    "本地目录: zwgk/zfxxgk/zfxxgknb/{month}/{page}_{title}\n页面链接与图片详见 links.tsv(同目录)\n"
    "==================== 正文 ===================="
)


def render_flattened(rep: Report, blocks: list[Block], rng: random.Random, options: Options) -> Rendered:
    title = "".join(next(b.lines for b in blocks if b.kind == "title"))
    month, day = rng.randrange(1, 4), rng.randrange(1, 29)
    published = f"{rep.year + 1}-{month:02d}-{day:02d} {rng.randrange(8, 18):02d}:{rng.randrange(60):02d}"
    header = CRAWLER_HEADER.format(
        title=title,
        published=published,
        publisher=rep.agency if rng.random() < 0.5 else "",
        site=rng.choice(("pingtan", "bjdch", "bjxch", "sz", "gz", "hangzhou")),
        month=f"{rep.year + 1}{month:02d}",
        day=f"{rep.year + 1}{month:02d}{day:02d}",
        page=rng.randrange(10000, 99999),
    )
    unresolved: set[str] = set()
    spaced = rng.choice((0.0, 0.0, 0.05, 0.2))
    pieces: list[str] = []
    if rng.random() < 0.6:
        pieces.append(
            f"当前位置： 首页政务公开政府信息公开政府信息公开年报 {title} 来源：{rep.agency} 时间：{published} "
            "微信 微博 QQ空间 全真版 文字版 文件下载 相关链接： -->"
        )
    elif rng.random() < 0.5:
        pieces.append(title)
    for block in blocks:
        if block.kind in ("title", "pre"):
            continue
        if block.kind == "table":
            table = block.table
            if table.name == "legacy":
                pieces.append(_flat_legacy(rep, table, rng))
            else:
                pieces.append(_flat_table(table, rng, spaced, options, unresolved))
        elif block.kind == "sig":
            pieces.append(" ".join(block.lines))
        else:
            pieces.append(block.text)
    if rep.legacy_kind and rng.random() < 0.5:
        pieces.append("附件下载")
    one_line = rep.t3_omitted or rep.template == "legacy" or rng.random() < 0.7
    joiner = (lambda: rng.choice(("", " "))) if one_line else (lambda: "\n")
    body = pieces[0]
    for piece in pieces[1:]:
        body += joiner() + piece
    return Rendered((header + "\n" + body + "\n").encode("utf-8"), unresolved=unresolved)


def _flat_table(table: Table, rng: random.Random, spaced: float, options: Options, unresolved: set[str]) -> str:
    rule = {"t3": "row", "t4": "blocks"}.get(table.name)
    out = ""
    for row in table.rows:
        labels = "".join(_flat(c.text).replace("\n", "") for c in row if c.key is None)
        values = [c for c in row if c.key]
        out += labels
        if values:
            ambiguous_ok = table.name == "t2" and rng.random() < options.ambiguous_share
            run, ambiguous = _flat_run([c.text for c in values], rule, rng, spaced, ambiguous_ok)
            if ambiguous:
                unresolved.update(c.key for c in values)
            out += run + (" " if table.name == "t3" and rng.random() < 0.05 else "")
    return out


def _flat_legacy(rep: Report, table: Table, rng: random.Random) -> str:
    """A statistics table as 平潭's pages flatten it: label, unit, this year, cumulative, spaced or not."""
    tight = rng.random() < 0.5
    national = rep.legacy_kind == "national"
    sep = "" if tight else " "
    if national:
        out = sep.join(("统计指标", "单位", "统计数"))
    else:
        out = sep.join(("指标名称", "计量单位", f"{rep.year}年度" if tight else f"{rep.year} 年度", "历年累计"))
    for row in table.rows[1:]:
        label, unit = row[0].text, row[1].text
        if national:
            out += sep + label + sep + unit + sep + row[2].text
            continue
        this, cumulative = row[2].text, row[3].text
        numbers = this + cumulative if tight and _legacy_splits(this + cumulative) == 1 else f"{this} {cumulative}"
        out += sep + label + sep + unit + sep + numbers
    return out


# --------------------------------------------------------------------------------------------------
# Expected values and rule findings


def _legacy_expected(rep: Report) -> dict[str, int | float]:
    table: dict[str, int | float] = {}
    for code, _, unit, this, _ in rep.legacy_rows:
        table[code] = this * 10000 if unit == "万元" and code == "fees" else this
    return table


NARRATIVE_CELLS = {
    "applications_received": lambda t3, t4: t3["new_received"][6],
    "applications_carried_over": lambda t3, t4: t3["carried_over"][6],
    "reconsideration": lambda t3, t4: t4[4],
    "litigation": lambda t3, t4: (t4[9] or 0) + (t4[14] or 0),
}


def rule_violations(entry: dict) -> list[list[str]]:
    """Every rule finding of the parser's checks (pipeline/checks.py) that must fail for these values,
    as [rule, column or row]; blanks count as 0, as the checks count them."""
    out: list[list[str]] = []
    t3, t4 = entry.get("table3"), entry.get("table4")

    def v(row: str, column: int) -> int | float:
        return t3[row][column] or 0

    if t3:
        outcomes = [row for row in t3 if row in OUTCOMES["2019"] or row in OUTCOMES["2021"]]
        for column, name in enumerate(COLUMNS):
            if v("new_received", column) + v("carried_over", column) != v("processed_total", column) + v(
                "carried_forward", column
            ):
                out.append(["intake_balance", name])
            if sum(v(row, column) for row in outcomes) != v("processed_total", column):
                out.append(["outcome_sum", name])
        for row in t3:
            if sum(v(row, column) for column in range(6)) != v(row, 6):
                out.append(["applicant_sum", row])
    if t4:
        for b, block in enumerate(BLOCKS):
            if sum(x or 0 for x in t4[b * 5 : b * 5 + 4]) != (t4[b * 5 + 4] or 0):
                out.append(["review_block_sum", block])
    narrative = entry.get("narrative")
    if t3 and t4 and narrative:
        totals = {k: [x or 0 for x in r] for k, r in t3.items() if k in ("new_received", "carried_over")}
        for figure, value in narrative.items():
            if figure in NARRATIVE_CELLS and value != (NARRATIVE_CELLS[figure](totals, t4) or 0):
                out.append(["narrative_table_agreement", figure])
    legacy = entry.get("legacy")
    if legacy:
        for code, value in legacy["prose"].items():
            if code in legacy["table"] and abs(value - legacy["table"][code]) > 1e-6:
                out.append(["legacy_prose_table_agreement", code])
    return out


def manifest_entry(rep: Report, fmt: str, name: str, rendered: Rendered) -> dict:
    blank = rendered.blank
    entry: dict = {
        "file": name,
        "format": fmt,
        "agency": rep.agency,
        "agency_id": rep.agency_id,
        "year": rep.year,
        "template": rep.template,
        "scope": rep.scope,
    }
    if rep.template == "legacy":
        entry["legacy"] = {"table": _legacy_expected(rep), "prose": dict(rep.legacy_prose)}
    else:
        entry["table3"] = (
            None
            if rep.t3_omitted
            else {
                row: [None if f"t3/{row}/{i}" in blank else value for i, value in enumerate(values)]
                for row, values in rep.t3.items()
            }
        )
        entry["table4"] = [None if f"t4/{i}" in blank else value for i, value in enumerate(rep.t4)]
        entry["table2"] = {f"{code}/{metric}": value for code, _, cells in rep.t2 for metric, _, value in cells}
        entry["narrative"] = dict(rep.narrative)
    entry["unresolved"] = sorted(rendered.unresolved)
    entry["broken"] = rep.broken
    entry["violations"] = rule_violations(entry)
    return entry


# --------------------------------------------------------------------------------------------------
# The corpus


@dataclass(frozen=True)
class Manifest:
    """What generate_corpus wrote: the manifest file (one JSON object per report) and counts."""

    path: Path
    out_dir: Path
    reports: int
    by_format: dict[str, int]
    seconds: float

    def entries(self) -> Iterator[dict]:
        with self.path.open(encoding="utf-8") as lines:
            for line in lines:
                yield json.loads(line)


def render(rep: Report, fmt: str, rng: random.Random, options: Options) -> Rendered:
    style = _style(rng)
    blocks = build_document(rep, style, rng, fmt)
    if fmt == "text":
        return render_text(blocks, rng)
    if fmt == "html":
        return render_html(blocks, rng, options)
    if fmt == "docx":
        return render_docx(blocks, rng)
    if fmt == "markdown":
        return render_markdown(blocks, rng)
    if fmt == "flattened":
        return render_flattened(rep, blocks, rng, options)
    raise ValueError(f"unknown format {fmt!r}; formats are {', '.join(ALL_FORMATS)}")


def agency_reports(
    plan: AgencyPlan, seed: int, formats: Sequence[str], options: Options
) -> Iterator[tuple[str, bytes, dict]]:
    """(relative file name, bytes, manifest entry) of each report of one agency, year by year."""
    rng = random.Random(f"{seed}:{plan.index}")
    state = _agency_state(plan, rng, options)
    for offset, year in enumerate(plan.years):
        index = plan.start + offset
        fmt = plan.fmt if rng.random() >= 0.15 else rng.choice(formats)
        rep = make_report(state, year, rng, options)
        rendered = render(rep, fmt, rng, options)
        name = f"{index // FILES_PER_FOLDER:03d}/{index:06d}_a{plan.index:05d}_{year}{EXTENSIONS[fmt]}"
        yield name, rendered.data, manifest_entry(rep, fmt, name, rendered)


def _write_agencies(job: tuple[Path, Path, list[AgencyPlan], int, tuple[str, ...], Options]) -> dict[str, int]:
    out_dir, part, plans, seed, formats, options = job
    counts: dict[str, int] = {}
    folders: set[str] = set()
    with part.open("w", encoding="utf-8") as manifest:
        for plan in plans:
            for name, data, entry in agency_reports(plan, seed, formats, options):
                folder = name.split("/", 1)[0]
                if folder not in folders:
                    (out_dir / folder).mkdir(parents=True, exist_ok=True)
                    folders.add(folder)
                (out_dir / name).write_bytes(data)
                manifest.write(json.dumps(entry, ensure_ascii=False, separators=(",", ":")) + "\n")
                counts[entry["format"]] = counts.get(entry["format"], 0) + 1
    return counts


def generate_corpus(
    out_dir: Path,
    n: int,
    seed: int = 0,
    formats: tuple[str, ...] = ALL_FORMATS,
    options: Options | None = None,
    workers: int | None = None,
) -> Manifest:
    """Write n reports under out_dir and their expected values to out_dir/expected.jsonl.

    Same (n, seed, formats, options): same bytes, whatever `workers` is. Work is split by agency into
    chunks written by worker processes (default: one per CPU, none for small corpora) and streamed to disk.
    """
    unknown = [f for f in formats if f not in ALL_FORMATS]
    if unknown or not formats:
        raise ValueError(f"unknown formats {unknown}; formats are {', '.join(ALL_FORMATS)}")
    options = options or Options()
    started = time.perf_counter()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    plans = _plan(n, seed, formats)
    chunks: list[list[AgencyPlan]] = [[]]
    size = 0
    for plan in plans:
        if size >= 500:
            chunks.append([])
            size = 0
        chunks[-1].append(plan)
        size += len(plan.years)
    parts = [out_dir / f".{MANIFEST_NAME}.part{i:05d}" for i in range(len(chunks))]
    jobs = [(out_dir, part, chunk, seed, tuple(formats), options) for part, chunk in zip(parts, chunks, strict=True)]
    workers = workers if workers is not None else (os.cpu_count() or 1) if n > 2000 else 1
    if workers > 1 and len(jobs) > 1:
        method = "fork" if "fork" in multiprocessing.get_all_start_methods() else None
        with multiprocessing.get_context(method).Pool(min(workers, len(jobs))) as pool:
            results = pool.map(_write_agencies, jobs, chunksize=1)
    else:
        results = [_write_agencies(job) for job in jobs]
    path = out_dir / MANIFEST_NAME
    with path.open("wb") as manifest:
        for part in parts:
            with part.open("rb") as lines:
                while block := lines.read(1 << 20):
                    manifest.write(block)
            part.unlink()
    by_format: dict[str, int] = {}
    for counts in results:
        for fmt, count in counts.items():
            by_format[fmt] = by_format.get(fmt, 0) + count
    return Manifest(path, out_dir, n, dict(sorted(by_format.items())), time.perf_counter() - started)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reports", type=int, required=True, help="how many report files to write")
    parser.add_argument("--out", type=Path, required=True, help="folder for the files and expected.jsonl")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--formats", default=",".join(ALL_FORMATS), help="comma-separated: " + ",".join(ALL_FORMATS))
    parser.add_argument("--break-share", type=float, default=Options.break_share, help="reports breaking a rule")
    parser.add_argument("--blank-share", type=float, default=Options.blank_share, help="web pages blanking zeros")
    parser.add_argument("--workers", type=int, default=None, help="processes (default: one per CPU)")
    args = parser.parse_args(argv)
    formats = tuple(f.strip() for f in args.formats.split(",") if f.strip())
    options = Options(break_share=args.break_share, blank_share=args.blank_share)
    manifest = generate_corpus(args.out, args.reports, args.seed, formats, options, args.workers)
    shown = ", ".join(f"{fmt} {count}" for fmt, count in manifest.by_format.items())
    print(
        f"generated {manifest.reports} reports ({shown}) in {manifest.seconds:.1f} s = "
        f"{manifest.reports / max(manifest.seconds, 1e-9):.0f} reports/s -> {manifest.path}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
