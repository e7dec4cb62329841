package cnid

// RegionName is a region's Chinese and English names. Code is a 6-digit
// administrative division code, or a 2-digit province-level prefix.
type RegionName struct {
	Code    string
	Chinese string
	English string
}

// yaanEnglish holds the English names of the regions in yaanRegions.
var yaanEnglish = map[string]string{
	"511800": "Ya'an",
	"511802": "Yucheng District",
	"511803": "Mingshan District",
	"511822": "Yingjing County",
	"511823": "Hanyuan County",
	"511824": "Shimian County",
	"511825": "Tianquan County",
	"511826": "Lushan County",
	"511827": "Baoxing County",
}

// provinceNames lists the province-level divisions by their 2-digit prefix.
var provinceNames = [...]RegionName{
	{"11", "北京市", "Beijing"},
	{"12", "天津市", "Tianjin"},
	{"13", "河北省", "Hebei"},
	{"14", "山西省", "Shanxi"},
	{"15", "内蒙古自治区", "Inner Mongolia"},
	{"21", "辽宁省", "Liaoning"},
	{"22", "吉林省", "Jilin"},
	{"23", "黑龙江省", "Heilongjiang"},
	{"31", "上海市", "Shanghai"},
	{"32", "江苏省", "Jiangsu"},
	{"33", "浙江省", "Zhejiang"},
	{"34", "安徽省", "Anhui"},
	{"35", "福建省", "Fujian"},
	{"36", "江西省", "Jiangxi"},
	{"37", "山东省", "Shandong"},
	{"41", "河南省", "Henan"},
	{"42", "湖北省", "Hubei"},
	{"43", "湖南省", "Hunan"},
	{"44", "广东省", "Guangdong"},
	{"45", "广西壮族自治区", "Guangxi"},
	{"46", "海南省", "Hainan"},
	{"50", "重庆市", "Chongqing"},
	{"51", "四川省", "Sichuan"},
	{"52", "贵州省", "Guizhou"},
	{"53", "云南省", "Yunnan"},
	{"54", "西藏自治区", "Tibet"},
	{"61", "陕西省", "Shaanxi"},
	{"62", "甘肃省", "Gansu"},
	{"63", "青海省", "Qinghai"},
	{"64", "宁夏回族自治区", "Ningxia"},
	{"65", "新疆维吾尔自治区", "Xinjiang"},
	{"71", "台湾省", "Taiwan"},
	{"81", "香港特别行政区", "Hong Kong"},
	{"82", "澳门特别行政区", "Macao"},
}

// YaanRegionNames returns the regions of YaanRegions, in the same order,
// with their English names. Each call returns a fresh slice.
func YaanRegionNames() []RegionName {
	out := make([]RegionName, len(yaanRegions))
	for i, r := range yaanRegions {
		out[i] = RegionName{Code: r.Code, Chinese: r.Name, English: yaanEnglish[r.Code]}
	}
	return out
}

// ProvinceNames returns the province-level divisions, in code order, each
// under its 2-digit prefix. Each call returns a fresh slice.
func ProvinceNames() []RegionName {
	p := provinceNames
	return p[:]
}
