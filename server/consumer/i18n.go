package consumer

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"suyuan/ent/alert"
)

// lang is a language the pages are written in. Simplified Chinese is the
// default: the shoppers are in Sichuan.
type lang string

const (
	zh lang = "zh"
	en lang = "en"
)

// htmlLang is the value of <html lang>.
func (l lang) htmlLang() string {
	if l == en {
		return "en"
	}
	return "zh-CN"
}

// catalogue holds the pages' words. It is read-only: a small table, not an
// i18n library, because two languages and a few dozen phrases do not need
// one. A test checks that both languages have every key.
var catalogue = map[lang]map[string]string{
	zh: {
		"site":              "溯源 · 食品安全追溯",
		"other_lang":        "English",
		"banner_RECALLED":   "该批次已召回 · 请勿食用",
		"banner_INGREDIENT": "原料已召回 · 请勿食用",
		"banner_EXPIRED":    "已过保质期 · 请勿食用",
		"banner_INSPECTION": "检验不合格 · 请勿食用",
		"banner_COLD_CHAIN": "运输温度异常 · 请注意",
		"banner_warning":    "安全提示 · 请注意",
		"banner_advice":     "请停止食用，并退回购买的商店。如有疑问，请拨打市场监管热线 12315。",
		"warn_RECALLED":     "该批次已被生产企业或监管部门召回。",
		"warn_INGREDIENT":   "所用原料“%s”（批次 %s）已被召回。",
		"warn_EXPIRED":      "已超过保质期（%s 到期）。",
		"warn_INSPECTION":   "该批次有一项实验室检验不合格。",
		"warn_COLD_CHAIN":   "运输途中温度超出要求：%s → %s，%s，超出范围共 %s 分钟，最高 %s °C、最低 %s °C（要求 %s）。",
		"product":           "产品",
		"category":          "类别",
		"gtin":              "商品条码",
		"storage":           "贮存条件",
		"producer":          "生产企业",
		"license":           "食品生产许可证",
		"region":            "所在地",
		"batch":             "批次信息",
		"lot":               "批次号",
		"serial":            "序列号",
		"produced":          "生产日期",
		"expires":           "保质期至",
		"expired_tag":       "已过期",
		"status":            "状态",
		"made_at":           "生产地点",
		"inspections":       "检验检测",
		"no_inspections":    "暂无检验记录。",
		"pass":              "合格",
		"fail":              "不合格",
		"lab":               "检测机构",
		"certificate":       "证书编号",
		"item":              "项目",
		"result":            "结果",
		"limit":             "限值",
		"journey":           "流通轨迹",
		"no_journey":        "暂无运输或上架记录。",
		"step_produced":     "生产",
		"step_shipped":      "运输",
		"step_shelved":      "上架销售",
		"departed":          "发出",
		"arrived":           "到达",
		"carrier":           "承运",
		"removed":           "下架",
		"ingredients":       "主要原料及产地",
		"origin":            "产地",
		"private":           "私人设施",
		"code":              "追溯码",
		"times_note":        "时间均为北京时间。私人设施只显示类型和地区。",
		"json":              "机器可读数据（JSON）",
		"cc_OK":             "冷链正常",
		"cc_EXCURSION":      "温度超标",
		"cc_NO_DATA":        "无温度记录",
		"cc_NOT_REQUIRED":   "常温运输",
		"cc_detail":         "%s ~ %s °C，要求 %s，%d 条记录",
		"not_found_title":   "未找到该产品",
		"not_found_body":    "系统中没有与这个追溯码对应的产品。请核对包装上的二维码或编码是否完整。",
		"not_found_hint":    "若怀疑是假冒产品，请拨打市场监管热线 12315 举报。",
		"bad_title":         "链接格式不正确",
		"bad_body":          "这个二维码或链接无法识别，可能已损坏或被篡改。请重新扫描，或手动输入包装上的追溯码。",
		"error_title":       "暂时无法显示",
		"error_body":        "服务器出现问题，请稍后再试。",
		"reference":         "参考编号",
		"detail":            "技术细节",
		"print_title":       "追溯码打印页",
		"print_note":        "每个二维码对应一个追溯码；扫码即可查看该批次的来源与检验信息。",

		// The cold-chain rules a leg breaks (anomaly.JudgeJourney).
		"rule_TEMPERATURE_OUT_OF_RANGE": "温度严重超标",
		"rule_SUSTAINED_EXCURSION":      "持续超标",
		"rule_CUMULATIVE_EXCURSION":     "全程累计超标过久",
		"rule_sep":                      "、",
		"cc_minutes":                    "，超出范围共 %s 分钟",

		// certificates on file (docs/CONSUMER.md)
		"certificates":                "已备案证明",
		"cert_QUARANTINE_CERTIFICATE": "检疫合格证明",
		"cert_LAB_REPORT":             "检验检测报告",
		"cert_BUSINESS_LICENCE":       "营业执照",
	},
	en: {
		"site":              "Suyuan · food traceability",
		"other_lang":        "中文",
		"banner_RECALLED":   "RECALLED — do not eat",
		"banner_INGREDIENT": "Ingredient recalled — do not eat",
		"banner_EXPIRED":    "Past its use-by date — do not eat",
		"banner_INSPECTION": "Failed a laboratory test — do not eat",
		"banner_COLD_CHAIN": "Temperature problem in transport",
		"banner_warning":    "Safety warning",
		"banner_advice":     "Stop eating it and take it back to the shop. Questions: call the market-supervision hotline 12315.",
		"warn_RECALLED":     "This batch has been recalled by its producer or the regulator.",
		"warn_INGREDIENT":   "An ingredient, “%s” (lot %s), has been recalled.",
		"warn_EXPIRED":      "Past its use-by date (%s).",
		"warn_INSPECTION":   "A laboratory inspection of this batch failed.",
		"warn_COLD_CHAIN":   "The temperature left the required range in transport: %s → %s, %s, %s min out of range in all, up to %s °C, down to %s °C (required %s).",
		"product":           "Product",
		"category":          "Category",
		"gtin":              "Barcode (GTIN)",
		"storage":           "Storage",
		"producer":          "Producer",
		"license":           "Food production licence",
		"region":            "Region",
		"batch":             "Batch",
		"lot":               "Lot",
		"serial":            "Serial no.",
		"produced":          "Produced",
		"expires":           "Use by",
		"expired_tag":       "EXPIRED",
		"status":            "Status",
		"made_at":           "Made at",
		"inspections":       "Laboratory tests",
		"no_inspections":    "No laboratory tests recorded.",
		"pass":              "Pass",
		"fail":              "Fail",
		"lab":               "Laboratory",
		"certificate":       "Certificate",
		"item":              "Test",
		"result":            "Result",
		"limit":             "Limit",
		"journey":           "Journey",
		"no_journey":        "No transport or shelving recorded.",
		"step_produced":     "Produced",
		"step_shipped":      "Transport",
		"step_shelved":      "On sale",
		"departed":          "Departed",
		"arrived":           "Arrived",
		"carrier":           "Carrier",
		"removed":           "Removed",
		"ingredients":       "Main ingredients and origins",
		"origin":            "Origin",
		"private":           "Private facility",
		"code":              "Trace code",
		"times_note":        "Times are China Standard Time (UTC+8). Private facilities show only their kind and region.",
		"json":              "Machine-readable data (JSON)",
		"cc_OK":             "Cold chain kept",
		"cc_EXCURSION":      "Temperature out of range",
		"cc_NO_DATA":        "No temperature record",
		"cc_NOT_REQUIRED":   "No cold chain needed",
		"cc_detail":         "%s to %s °C, required %s, %d readings",
		"not_found_title":   "Product not found",
		"not_found_body":    "We have no product with this code. Check that the QR code or the code on the package is complete.",
		"not_found_hint":    "If you suspect a counterfeit, report it to the market-supervision hotline 12315.",
		"bad_title":         "This link is not valid",
		"bad_body":          "This QR code or link cannot be read; it may be damaged or altered. Scan it again, or type in the trace code printed on the package.",
		"error_title":       "Temporarily unavailable",
		"error_body":        "Something went wrong on our side. Please try again later.",
		"reference":         "Reference",
		"detail":            "Details",
		"print_title":       "Trace code sheet",
		"print_note":        "Each QR code is one trace code; scanning it shows where the batch came from and its tests.",

		// The cold-chain rules a leg breaks (anomaly.JudgeJourney).
		"rule_TEMPERATURE_OUT_OF_RANGE": "a reading far out of range",
		"rule_SUSTAINED_EXCURSION":      "out of range too long at once",
		"rule_CUMULATIVE_EXCURSION":     "out of range too long over the whole journey",
		"rule_sep":                      "; ",
		"cc_minutes":                    ", %s min out of range",

		// certificates on file (docs/CONSUMER.md)
		"certificates":                "Certificates on file",
		"cert_QUARANTINE_CERTIFICATE": "Quarantine certificate",
		"cert_LAB_REPORT":             "Laboratory report",
		"cert_BUSINESS_LICENCE":       "Business licence",
	},
}

// enums names the values of the schema's enums, by language and value.
var enums = map[lang]map[string]string{
	zh: {
		// product categories
		"MEAT": "肉类", "POULTRY": "禽类", "AQUATIC": "水产品", "EGG": "蛋类", "DAIRY": "乳制品",
		"VEGETABLE": "蔬菜", "FRUIT": "水果", "GRAIN": "粮食", "TEA": "茶叶", "PROCESSED": "加工食品", "OTHER": "其他",
		// facility kinds
		"FARM": "养殖场/种植基地", "SLAUGHTERHOUSE": "屠宰场", "FACTORY": "加工厂", "WAREHOUSE": "仓库",
		"STORE": "门店", "MARKET": "农贸市场",
		// organisation kinds
		"PRODUCER": "生产者", "PROCESSOR": "加工企业", "CARRIER": "承运商", "RETAILER": "零售商",
		"LAB": "检测机构", "REGULATOR": "监管部门",
		// batch status
		"ACTIVE": "正常", "ON_HOLD": "暂停销售", "RECALLED": "已召回", "EXHAUSTED": "已售完", "DESTROYED": "已销毁",
		// shipment status
		"PLANNED": "计划中", "IN_TRANSIT": "运输中", "DELIVERED": "已送达", "REJECTED": "已拒收",
		// removal reasons
		"SOLD_OUT": "售完", "EXPIRED": "过期", "DAMAGED": "破损",
		// units
		"G": "克", "KG": "千克", "T": "吨", "ML": "毫升", "L": "升", "PIECE": "件", "BOX": "箱", "HEAD": "头",
	},
	en: {
		"MEAT": "Meat", "POULTRY": "Poultry", "AQUATIC": "Fish and seafood", "EGG": "Eggs", "DAIRY": "Dairy",
		"VEGETABLE": "Vegetables", "FRUIT": "Fruit", "GRAIN": "Grain", "TEA": "Tea", "PROCESSED": "Processed food", "OTHER": "Other",
		"FARM": "Farm", "SLAUGHTERHOUSE": "Slaughterhouse", "FACTORY": "Factory", "WAREHOUSE": "Warehouse",
		"STORE": "Shop", "MARKET": "Market",
		"PRODUCER": "Producer", "PROCESSOR": "Processor", "CARRIER": "Carrier", "RETAILER": "Retailer",
		"LAB": "Laboratory", "REGULATOR": "Regulator",
		"ACTIVE": "Normal", "ON_HOLD": "On hold", "RECALLED": "Recalled", "EXHAUSTED": "Sold out", "DESTROYED": "Destroyed",
		"PLANNED": "Planned", "IN_TRANSIT": "In transit", "DELIVERED": "Delivered", "REJECTED": "Rejected",
		"SOLD_OUT": "sold out", "EXPIRED": "expired", "DAMAGED": "damaged",
		"G": "g", "KG": "kg", "T": "t", "ML": "ml", "L": "L", "PIECE": "pieces", "BOX": "boxes", "HEAD": "head",
	},
}

// msg returns a phrase; a missing key shows as itself, which the
// catalogue test makes impossible for the keys the code uses.
func (l lang) msg(key string) string {
	if s, ok := catalogue[l][key]; ok {
		return s
	}
	return key
}

func (l lang) msgf(key string, args ...any) string { return fmt.Sprintf(l.msg(key), args...) }

// enum names an enum value, or shows it as it is when unknown.
func (l lang) enum(v string) string {
	if s, ok := enums[l][v]; ok {
		return s
	}
	return v
}

// regionNames names the regions the demo city is made of, and the
// provinces (by their two-digit prefix) for everything else. GB/T 2260.
var regionNames = map[string][2]string{
	"511800": {"四川省雅安市", "Ya'an, Sichuan"},
	"511802": {"雅安市雨城区", "Yucheng District, Ya'an"},
	"511803": {"雅安市名山区", "Mingshan District, Ya'an"},
	"511822": {"雅安市荥经县", "Yingjing County, Ya'an"},
	"511823": {"雅安市汉源县", "Hanyuan County, Ya'an"},
	"511824": {"雅安市石棉县", "Shimian County, Ya'an"},
	"511825": {"雅安市天全县", "Tianquan County, Ya'an"},
	"511826": {"雅安市芦山县", "Lushan County, Ya'an"},
	"511827": {"雅安市宝兴县", "Baoxing County, Ya'an"},
	"11":     {"北京市", "Beijing"},
	"12":     {"天津市", "Tianjin"},
	"13":     {"河北省", "Hebei"},
	"14":     {"山西省", "Shanxi"},
	"15":     {"内蒙古自治区", "Inner Mongolia"},
	"21":     {"辽宁省", "Liaoning"},
	"22":     {"吉林省", "Jilin"},
	"23":     {"黑龙江省", "Heilongjiang"},
	"31":     {"上海市", "Shanghai"},
	"32":     {"江苏省", "Jiangsu"},
	"33":     {"浙江省", "Zhejiang"},
	"34":     {"安徽省", "Anhui"},
	"35":     {"福建省", "Fujian"},
	"36":     {"江西省", "Jiangxi"},
	"37":     {"山东省", "Shandong"},
	"41":     {"河南省", "Henan"},
	"42":     {"湖北省", "Hubei"},
	"43":     {"湖南省", "Hunan"},
	"44":     {"广东省", "Guangdong"},
	"45":     {"广西壮族自治区", "Guangxi"},
	"46":     {"海南省", "Hainan"},
	"50":     {"重庆市", "Chongqing"},
	"51":     {"四川省", "Sichuan"},
	"52":     {"贵州省", "Guizhou"},
	"53":     {"云南省", "Yunnan"},
	"54":     {"西藏自治区", "Tibet"},
	"61":     {"陕西省", "Shaanxi"},
	"62":     {"甘肃省", "Gansu"},
	"63":     {"青海省", "Qinghai"},
	"64":     {"宁夏回族自治区", "Ningxia"},
	"65":     {"新疆维吾尔自治区", "Xinjiang"},
	"71":     {"台湾省", "Taiwan"},
	"81":     {"香港特别行政区", "Hong Kong"},
	"82":     {"澳门特别行政区", "Macao"},
}

// region names a region code: the district when known, else the province
// with the code, else the code.
func (l lang) region(code string) string {
	i := 0
	if l == en {
		i = 1
	}
	if n, ok := regionNames[code]; ok {
		return n[i]
	}
	if len(code) == 6 {
		if n, ok := regionNames[code[:2]]; ok {
			return n[i] + " (" + code + ")"
		}
	}
	return code
}

// cst is China Standard Time; China keeps no summer time, so a fixed zone
// is exact and needs no time-zone database on the server.
var cst = time.FixedZone("CST", 8*60*60)

func (l lang) date(t time.Time) string { return t.In(cst).Format("2006-01-02") }

func (l lang) dateTime(t time.Time) string { return t.In(cst).Format("2006-01-02 15:04") }

// num writes a number without trailing zeros or binary noise: at most six
// decimals, so 0.1+0.2 is "0.3".
func num(v float64) string {
	r := math.Round(v*1e6) / 1e6
	if r == 0 {
		r = 0 // no "-0"
	}
	return strconv.FormatFloat(r, 'f', -1, 64)
}

// tempC writes a temperature rounded to 0.1 °C, without the unit.
func tempC(v float64) string { return num(math.Round(v*10) / 10) }

// rules names, in l, the cold-chain rules a leg breaks.
func (l lang) rules(kinds []alert.Kind) string {
	parts := make([]string, len(kinds))
	for i, k := range kinds {
		parts[i] = l.msg("rule_" + string(k))
	}
	return strings.Join(parts, l.msg("rule_sep"))
}

// tempRange writes a storage range such as "0 ~ 4 °C", "≤ 4 °C" or "≥ -18 °C".
func tempRange(lo, hi *float64) string {
	switch {
	case lo != nil && hi != nil:
		return tempC(*lo) + " ~ " + tempC(*hi) + " °C"
	case hi != nil:
		return "≤ " + tempC(*hi) + " °C"
	case lo != nil:
		return "≥ " + tempC(*lo) + " °C"
	}
	return ""
}

// limitText writes a measurement's limits: "≤ 15", "≥ 1", "1 ~ 15".
func limitText(lo, hi *float64, unit string) string {
	var s string
	switch {
	case lo != nil && hi != nil:
		s = num(*lo) + " ~ " + num(*hi)
	case hi != nil:
		s = "≤ " + num(*hi)
	case lo != nil:
		s = "≥ " + num(*lo)
	default:
		return ""
	}
	return strings.TrimSpace(s + " " + unit)
}

// optC writes a temperature rounded to 0.1 °C, or "–".
func optC(v *float64) string {
	if v == nil {
		return "–"
	}
	return tempC(*v)
}
