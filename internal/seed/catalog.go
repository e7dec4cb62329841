package seed

import (
	"suyuan/internal/cnid"
	"suyuan/internal/quantity"
)

// This file holds the fixed reference data the generator draws from:
// Ya'an's districts and towns, what each kind of producer makes, and what
// laboratories measure. It is returned by functions, never kept in
// package variables, so that nothing shared can be modified.

// region is a district or county of Ya'an with what the generator needs
// to place things in it.
type region struct {
	idx      int
	code     string
	name     string
	lat, lon float64
	pop      int // population in thousands: weights shops and generic farms
	towns    []string
}

// geo is the centre, population and main towns of a district.
type geo struct {
	lat, lon float64
	pop      int
	towns    []string
}

// districts returns Ya'an's districts and counties (not the city itself)
// in cnid.YaanRegions order.
func districts() []*region {
	known := map[string]geo{
		"511802": {29.981, 103.001, 360, []string{"大兴街道", "多营镇", "碧峰峡镇", "草坝镇", "合江镇", "对岩镇", "沙坪镇", "中里镇", "上里镇", "严桥镇", "晏场镇", "望鱼镇"}},
		"511803": {30.084, 103.110, 270, []string{"蒙阳街道", "蒙顶山镇", "永兴街道", "新店镇", "百丈镇", "车岭镇", "红星镇", "中峰镇", "黑竹镇", "前进镇"}},
		"511822": {29.793, 102.845, 130, []string{"严道街道", "花滩镇", "六合乡", "烈太乡", "新添乡", "牛背山镇", "青龙乡"}},
		"511823": {29.346, 102.645, 300, []string{"富林镇", "九襄镇", "清溪镇", "唐家镇", "宜东镇", "富庄镇", "大树镇", "皇木镇"}},
		"511824": {29.227, 102.359, 110, []string{"新棉街道", "美罗镇", "安顺场镇", "迎政乡", "丰乐乡", "回隆镇"}},
		"511825": {30.066, 102.759, 130, []string{"城厢镇", "始阳镇", "小河镇", "思经镇", "乐英乡", "仁义镇", "新场镇"}},
		"511826": {30.152, 102.928, 110, []string{"芦阳街道", "飞仙关镇", "思延镇", "龙门镇", "宝盛乡", "太平镇", "双石镇"}},
		"511827": {30.368, 102.814, 50, []string{"穆坪镇", "灵关镇", "陇东镇", "蜂桶寨乡", "硗碛藏族乡", "五龙乡"}},
	}
	var out []*region
	for _, r := range cnid.YaanRegions() {
		g, ok := known[r.Code]
		if !ok {
			continue // the city itself, or a district added later
		}
		out = append(out, &region{idx: len(out), code: r.Code, name: r.Name,
			lat: g.lat, lon: g.lon, pop: g.pop, towns: g.towns})
	}
	return out
}

// cityRegion is Ya'an city, where city-level authorities are registered.
func cityRegion() (code, name string) {
	r := cnid.YaanRegions()[0]
	return r.Code, r.Name
}

// tempRange is a product's storage temperature range; either end may be
// open.
type tempRange struct {
	min, max       float64
	hasMin, hasMax bool
}

func between(lo, hi float64) tempRange { return tempRange{lo, hi, true, true} }
func below(hi float64) tempRange       { return tempRange{max: hi, hasMax: true} }

// chilled and frozen are the common cold-chain ranges.
func chilled() tempRange { return between(0, 4) }
func frozen() tempRange  { return between(-25, -18) }

// spec describes a product the generator makes.
type spec struct {
	key       string
	name      string
	category  string
	unit      quantity.Unit
	shelfDays int // 0: none
	temp      tempRange
	gtin      bool
	// packMilli is how much of its input one unit of a packaged product
	// holds, in thousandths of the input's unit (500 for a 500 g tray
	// cut from a lot counted in kilograms).
	packMilli int64
	// packaged products are consumer units: their lots get trace codes
	// and are the ones sampled by market surveillance.
	packaged bool
	profile  string // inspection profile
	lotCode  string // lot code prefix
	desc     string
}

// specs returns every product spec by key.
func specs() map[string]*spec {
	list := []*spec{
		// Livestock and the cuts made from it.
		{key: "pig.live", name: "生猪 Live pigs", category: "MEAT", unit: quantity.Head, profile: "live", lotCode: "SZ", desc: "出栏生猪，批次含检疫合格证明。"},
		{key: "pork.carcass", name: "白条猪 Pork carcass", category: "MEAT", unit: quantity.Kilogram, shelfDays: 7, temp: chilled(), profile: "meat", lotCode: "BT", desc: "定点屠宰，排酸冷却。"},
		{key: "pork.loin", name: "冷鲜猪里脊 Chilled pork loin", category: "MEAT", unit: quantity.Kilogram, shelfDays: 7, temp: chilled(), gtin: true, profile: "meat", lotCode: "LJ"},
		{key: "pork.belly", name: "冷鲜五花肉 Chilled pork belly", category: "MEAT", unit: quantity.Kilogram, shelfDays: 7, temp: chilled(), gtin: true, profile: "meat", lotCode: "WH"},
		{key: "pork.ribs", name: "冷鲜猪排骨 Chilled pork ribs", category: "MEAT", unit: quantity.Kilogram, shelfDays: 7, temp: chilled(), gtin: true, profile: "meat", lotCode: "PG"},
		{key: "pork.leg", name: "冷鲜猪后腿肉 Chilled pork leg", category: "MEAT", unit: quantity.Kilogram, shelfDays: 7, temp: chilled(), gtin: true, profile: "meat", lotCode: "HT"},
		{key: "pork.loin.pack", name: "冷鲜猪里脊 500g 托盘装 Chilled pork loin, 500 g tray", category: "MEAT", unit: quantity.Piece, shelfDays: 5, temp: chilled(), gtin: true, packMilli: 500, packaged: true, profile: "meat", lotCode: "LJT"},
		{key: "pork.belly.pack", name: "冷鲜五花肉 400g 托盘装 Chilled pork belly, 400 g tray", category: "MEAT", unit: quantity.Piece, shelfDays: 5, temp: chilled(), gtin: true, packMilli: 400, packaged: true, profile: "meat", lotCode: "WHT"},
		{key: "pork.ribs.pack", name: "冷冻猪排骨 1kg 袋装 Frozen pork ribs, 1 kg bag", category: "MEAT", unit: quantity.Piece, shelfDays: 180, temp: frozen(), gtin: true, packMilli: 1000, packaged: true, profile: "meat", lotCode: "PGD"},
		{key: "chicken.live", name: "活鸡 Live chickens", category: "POULTRY", unit: quantity.Head, profile: "live", lotCode: "HJ"},
		{key: "chicken.carcass", name: "冷鲜白条鸡 Chilled whole chicken", category: "POULTRY", unit: quantity.Kilogram, shelfDays: 5, temp: chilled(), gtin: true, profile: "poultry", lotCode: "BJ"},
		{key: "chicken.breast", name: "冷鲜鸡胸肉 Chilled chicken breast", category: "POULTRY", unit: quantity.Kilogram, shelfDays: 5, temp: chilled(), gtin: true, profile: "poultry", lotCode: "JX"},
		{key: "chicken.leg", name: "冷鲜鸡腿 Chilled chicken legs", category: "POULTRY", unit: quantity.Kilogram, shelfDays: 5, temp: chilled(), gtin: true, profile: "poultry", lotCode: "JT"},
		{key: "chicken.breast.pack", name: "鸡胸肉 500g 托盘装 Chicken breast, 500 g tray", category: "POULTRY", unit: quantity.Piece, shelfDays: 4, temp: chilled(), gtin: true, packMilli: 500, packaged: true, profile: "poultry", lotCode: "JXT"},
		{key: "chicken.leg.pack", name: "冷冻鸡腿 1kg 袋装 Frozen chicken legs, 1 kg bag", category: "POULTRY", unit: quantity.Piece, shelfDays: 180, temp: frozen(), gtin: true, packMilli: 1000, packaged: true, profile: "poultry", lotCode: "JTD"},
		{key: "cattle.live", name: "牦牛 Live yaks", category: "MEAT", unit: quantity.Head, profile: "live", lotCode: "MN"},
		{key: "beef.carcass", name: "牦牛胴体 Yak carcass", category: "MEAT", unit: quantity.Kilogram, shelfDays: 10, temp: chilled(), profile: "meat", lotCode: "NT"},
		{key: "beef.shank", name: "冷鲜牦牛腱子 Chilled yak shank", category: "MEAT", unit: quantity.Kilogram, shelfDays: 10, temp: chilled(), gtin: true, profile: "meat", lotCode: "NJ"},
		{key: "beef.brisket", name: "冷鲜牦牛腩 Chilled yak brisket", category: "MEAT", unit: quantity.Kilogram, shelfDays: 10, temp: chilled(), gtin: true, profile: "meat", lotCode: "NN"},
		{key: "beef.shank.pack", name: "牦牛腱子 500g 真空装 Yak shank, 500 g vacuum pack", category: "MEAT", unit: quantity.Piece, shelfDays: 15, temp: chilled(), gtin: true, packMilli: 500, packaged: true, profile: "meat", lotCode: "NJZ"},

		// Tea.
		{key: "tea.leaf", name: "鲜茶叶 Fresh tea leaves", category: "TEA", unit: quantity.Kilogram, shelfDays: 1, profile: "tea", lotCode: "XY"},
		{key: "tea.ganlu", name: "蒙顶甘露 Mengding Ganlu green tea", category: "TEA", unit: quantity.Kilogram, shelfDays: 540, temp: below(25), gtin: true, profile: "tea", lotCode: "GL"},
		{key: "tea.huangya", name: "蒙顶黄芽 Mengding Huangya yellow tea", category: "TEA", unit: quantity.Kilogram, shelfDays: 540, temp: below(25), gtin: true, profile: "tea", lotCode: "HY"},
		{key: "tea.zang", name: "雅安藏茶 Ya'an dark tea", category: "TEA", unit: quantity.Kilogram, shelfDays: 1095, temp: below(25), gtin: true, profile: "tea", lotCode: "ZC"},
		{key: "tea.ganlu.pack", name: "蒙顶甘露 250g 礼盒 Mengding Ganlu, 250 g gift box", category: "TEA", unit: quantity.Box, shelfDays: 540, temp: below(25), gtin: true, packMilli: 250, packaged: true, profile: "tea", lotCode: "GLH"},
		{key: "tea.huangya.pack", name: "蒙顶黄芽 100g 罐装 Mengding Huangya, 100 g tin", category: "TEA", unit: quantity.Box, shelfDays: 540, temp: below(25), gtin: true, packMilli: 100, packaged: true, profile: "tea", lotCode: "HYG"},
		{key: "tea.zang.pack", name: "雅安藏茶 500g 茶砖 Ya'an dark tea, 500 g brick", category: "TEA", unit: quantity.Box, shelfDays: 1095, temp: below(25), gtin: true, packMilli: 500, packaged: true, profile: "tea", lotCode: "ZCZ"},

		// Eggs and milk.
		{key: "egg.fresh", name: "鲜鸡蛋 Fresh eggs", category: "EGG", unit: quantity.Piece, shelfDays: 30, temp: below(25), profile: "egg", lotCode: "JD"},
		{key: "egg.pack", name: "鲜鸡蛋 30枚盒装 Fresh eggs, box of 30", category: "EGG", unit: quantity.Box, shelfDays: 30, temp: below(25), gtin: true, packMilli: 30000, packaged: true, profile: "egg", lotCode: "JDH"},
		{key: "milk.raw", name: "生鲜乳 Raw milk", category: "DAIRY", unit: quantity.Litre, shelfDays: 2, temp: chilled(), profile: "dairy", lotCode: "SR"},
		{key: "milk.std", name: "标准化乳 Standardised milk", category: "DAIRY", unit: quantity.Litre, shelfDays: 2, temp: chilled(), profile: "dairy", lotCode: "BZ"},
		{key: "milk.pack", name: "巴氏杀菌鲜牛奶 950mL Pasteurised milk, 950 mL", category: "DAIRY", unit: quantity.Piece, shelfDays: 7, temp: between(2, 6), gtin: true, packMilli: 950, packaged: true, profile: "dairy", lotCode: "BS"},
		{key: "yogurt.pack", name: "原味酸奶 200g Plain yoghurt, 200 g cup", category: "DAIRY", unit: quantity.Piece, shelfDays: 21, temp: between(2, 6), gtin: true, packMilli: 200, packaged: true, profile: "dairy", lotCode: "SN"},

		// Processed food.
		{key: "cured.bulk", name: "雅安腊肉 Ya'an cured pork", category: "PROCESSED", unit: quantity.Kilogram, shelfDays: 180, temp: below(25), gtin: true, profile: "cured", lotCode: "LR", desc: "传统柴火烟熏，配料：猪肉、食盐、花椒。"},
		{key: "cured.pack", name: "雅安腊肉 500g 真空装 Ya'an cured pork, 500 g vacuum pack", category: "PROCESSED", unit: quantity.Piece, shelfDays: 180, temp: below(25), gtin: true, packMilli: 500, packaged: true, profile: "cured", lotCode: "LRZ"},
		{key: "meal.pack", name: "回锅肉 300g 预制菜 Twice-cooked pork, 300 g ready meal", category: "PROCESSED", unit: quantity.Piece, shelfDays: 180, temp: frozen(), gtin: true, packaged: true, profile: "meal", lotCode: "HGR", desc: "速冻预制菜，加热即食。配料：猪五花肉、蒜苗、郫县豆瓣。"},
	}
	for _, c := range crops() {
		list = append(list, c.raw, c.pack)
	}
	m := make(map[string]*spec, len(list))
	for _, s := range list {
		m[s.key] = s
	}
	return m
}

// crop is a fruit, vegetable or other crop grown on produce farms and
// packed by packhouses.
type crop struct {
	key     string
	raw     *spec
	pack    *spec
	regions []string // where it is grown; empty: everywhere
}

func crops() []crop {
	mk := func(key, name, en, cat string, days int, t tempRange, lot string, packName string, packU quantity.Unit, packMilli int64, regions ...string) crop {
		return crop{
			key: key,
			raw: &spec{key: "crop." + key, name: name + " " + en, category: cat, unit: quantity.Kilogram,
				shelfDays: days, temp: t, profile: "produce", lotCode: lot},
			pack: &spec{key: "crop." + key + ".pack", name: name + " " + packName, category: cat, unit: packU,
				shelfDays: days, temp: t, gtin: true, packMilli: packMilli, packaged: true, profile: "produce", lotCode: lot + "B"},
			regions: regions,
		}
	}
	return []crop{
		mk("pepper", "汉源花椒", "Hanyuan Sichuan pepper", "OTHER", 365, below(25), "HC", "250g 袋装 (250 g bag)", quantity.Piece, 250, "511823", "511824"),
		mk("pear", "汉源金花梨", "Hanyuan pear", "FRUIT", 60, chilled(), "HL", "5kg 箱装 (5 kg box)", quantity.Box, 5000, "511823"),
		mk("cherry", "汉源甜樱桃", "Hanyuan sweet cherries", "FRUIT", 10, chilled(), "YT", "2kg 礼盒 (2 kg box)", quantity.Box, 2000, "511823"),
		mk("tangor", "石棉黄果柑", "Shimian Huangguo tangor", "FRUIT", 45, between(5, 12), "HG", "5kg 箱装 (5 kg box)", quantity.Box, 5000, "511824"),
		mk("loquat", "石棉枇杷", "Shimian loquat", "FRUIT", 7, between(2, 8), "PP", "2.5kg 礼盒 (2.5 kg box)", quantity.Box, 2500, "511824", "511823"),
		mk("kiwi", "红心猕猴桃", "Red-flesh kiwifruit", "FRUIT", 60, chilled(), "MH", "3kg 箱装 (3 kg box)", quantity.Box, 3000, "511802", "511826", "511803"),
		mk("bamboo", "鲜竹笋", "Fresh bamboo shoots", "VEGETABLE", 5, chilled(), "ZS", "5kg 箱装 (5 kg box)", quantity.Box, 5000, "511825", "511822", "511802", "511827"),
		mk("cabbage", "大白菜", "Chinese cabbage", "VEGETABLE", 14, between(0, 5), "BC", "10kg 箱装 (10 kg box)", quantity.Box, 10000),
		mk("radish", "白萝卜", "White radish", "VEGETABLE", 20, between(0, 5), "LB", "10kg 箱装 (10 kg box)", quantity.Box, 10000),
		mk("garlic", "蒜苗", "Garlic sprouts", "VEGETABLE", 7, chilled(), "SM", "5kg 箱装 (5 kg box)", quantity.Box, 5000),
		mk("potato", "高山土豆", "Highland potatoes", "VEGETABLE", 60, between(4, 10), "TD", "10kg 袋装 (10 kg sack)", quantity.Box, 10000, "511827", "511822", "511825", "511824"),
		mk("rice", "雅安大米", "Ya'an rice", "GRAIN", 365, below(25), "DM", "5kg 袋装 (5 kg bag)", quantity.Box, 5000, "511803", "511802", "511826"),
	}
}

// role is a kind of producer organisation.
type role int

const (
	rolePigFarm role = iota
	roleChickenFarm
	roleYakFarm
	roleTeaGarden
	roleEggFarm
	roleDairyFarm
	roleProduceFarm
	rolePigAbattoir
	roleChickenAbattoir
	roleYakAbattoir
	roleTeaFactory
	rolePackhouse
	roleEggPacker
	roleDairyPlant
	roleFoodFactory
	roleCentralKitchen
	numRoles
)

// roleDef says how many producers of a role there are and what they look
// like.
type roleDef struct {
	share    float64 // of all producers; the produce farms take the rest
	fixed    int     // exactly this many, when share is 0
	orgKind  string
	facKind  string
	specs    []string
	licence  string         // SC category code; "" for farms, which need no licence
	orgNames []string       // patterns, see (*gen).name
	facName  string         // pattern
	regions  map[string]int // weights by region code; nil: by population
	ccType   string         // first two characters of the credit code
}

func roles() [numRoles]roleDef {
	tea := map[string]int{"511803": 60, "511802": 30, "511826": 5, "511822": 3, "511825": 3}
	yak := map[string]int{"511827": 40, "511825": 30, "511826": 20, "511822": 10}
	return [numRoles]roleDef{
		rolePigFarm: {share: 0.25, orgKind: "PRODUCER", facKind: "FARM", specs: []string{"pig.live"},
			orgNames: []string{"{r}{b}生猪养殖场", "{r}{t}{s}氏生猪养殖场", "雅安{b}牧业有限公司", "{r}{b}生猪养殖专业合作社"},
			facName:  "{t}{b}养殖场", ccType: "91"},
		roleChickenFarm: {share: 0.06, orgKind: "PRODUCER", facKind: "FARM", specs: []string{"chicken.live"},
			orgNames: []string{"{r}{b}肉鸡养殖专业合作社", "{r}{t}{s}氏家庭农场", "雅安{b}禽业养殖有限公司"},
			facName:  "{t}{b}养鸡场", ccType: "93"},
		roleYakFarm: {share: 0.03, orgKind: "PRODUCER", facKind: "FARM", specs: []string{"cattle.live"}, regions: yak,
			orgNames: []string{"{r}{b}牦牛养殖专业合作社", "{r}{t}{s}氏牦牛牧场"},
			facName:  "{t}{b}牦牛牧场", ccType: "93"},
		roleTeaGarden: {share: 0.175, orgKind: "PRODUCER", facKind: "FARM", specs: []string{"tea.leaf"}, regions: tea,
			orgNames: []string{"{r}{t}{b}茶叶专业合作社", "{r}{t}{s}氏茶园", "雅安{b}茶业种植有限公司"},
			facName:  "{t}{b}茶园", ccType: "93"},
		roleEggFarm: {share: 0.04, orgKind: "PRODUCER", facKind: "FARM", specs: []string{"egg.fresh"},
			orgNames: []string{"{r}{b}蛋鸡养殖场", "{r}{t}{s}氏蛋鸡养殖场"},
			facName:  "{t}{b}蛋鸡场", ccType: "92"},
		roleDairyFarm: {share: 0.015, orgKind: "PRODUCER", facKind: "FARM", specs: []string{"milk.raw"},
			orgNames: []string{"{r}{b}奶牛养殖场", "{r}{t}{b}牧场"},
			facName:  "{t}{b}奶牛场", ccType: "91"},
		roleProduceFarm: {orgKind: "PRODUCER", facKind: "FARM",
			orgNames: []string{"{r}{t}{b}果蔬专业合作社", "{r}{t}{s}氏家庭农场", "{r}{b}农业开发有限公司"},
			facName:  "{t}{b}种植基地", ccType: "93"},
		rolePigAbattoir: {share: 0.002, orgKind: "PROCESSOR", facKind: "SLAUGHTERHOUSE", licence: "104",
			specs:    []string{"pork.carcass", "pork.loin", "pork.belly", "pork.ribs", "pork.leg", "pork.loin.pack", "pork.belly.pack", "pork.ribs.pack"},
			orgNames: []string{"雅安{b}肉类加工有限公司", "雅安市{r}{b}食品有限公司", "{r}{b}生猪定点屠宰场"},
			facName:  "{b}屠宰加工厂", ccType: "91"},
		roleChickenAbattoir: {share: 0.001, orgKind: "PROCESSOR", facKind: "SLAUGHTERHOUSE", licence: "104",
			specs:    []string{"chicken.carcass", "chicken.breast", "chicken.leg", "chicken.breast.pack", "chicken.leg.pack"},
			orgNames: []string{"雅安{b}禽业有限公司", "{r}{b}家禽屠宰加工厂"},
			facName:  "{b}禽类屠宰加工厂", ccType: "91"},
		roleYakAbattoir: {share: 0.0005, orgKind: "PROCESSOR", facKind: "SLAUGHTERHOUSE", licence: "104", regions: yak,
			specs:    []string{"beef.carcass", "beef.shank", "beef.brisket", "beef.shank.pack"},
			orgNames: []string{"雅安{b}牦牛肉食品有限公司", "{r}{b}牛羊定点屠宰厂"},
			facName:  "{b}牛羊屠宰厂", ccType: "91"},
		roleTeaFactory: {share: 0.035, orgKind: "PROCESSOR", facKind: "FACTORY", licence: "114", regions: tea,
			specs:    []string{"tea.ganlu", "tea.huangya", "tea.zang", "tea.ganlu.pack", "tea.huangya.pack", "tea.zang.pack"},
			orgNames: []string{"雅安{b}茶业有限公司", "{r}{b}茶厂", "四川{b}茶业集团有限公司"},
			facName:  "{b}茶厂", ccType: "91"},
		rolePackhouse: {share: 0.06, orgKind: "PROCESSOR", facKind: "FACTORY", licence: "116",
			orgNames: []string{"{r}{t}{b}农产品有限公司", "雅安{b}果业有限公司", "{r}{b}果蔬专业合作社联合社"},
			facName:  "{t}{b}分拣包装中心", ccType: "91"},
		roleEggPacker: {share: 0.003, orgKind: "PROCESSOR", facKind: "FACTORY", licence: "119", specs: []string{"egg.pack"},
			orgNames: []string{"雅安{b}蛋品有限公司"},
			facName:  "{b}蛋品分级包装中心", ccType: "91"},
		roleDairyPlant: {share: 0.0005, orgKind: "PROCESSOR", facKind: "FACTORY", licence: "105",
			specs:    []string{"milk.std", "milk.pack", "yogurt.pack"},
			orgNames: []string{"雅安{b}乳业有限公司"},
			facName:  "{b}乳品加工厂", ccType: "91"},
		roleFoodFactory: {share: 0.025, orgKind: "PROCESSOR", facKind: "FACTORY", licence: "104",
			specs:    []string{"cured.bulk", "cured.pack"},
			orgNames: []string{"雅安{b}食品有限公司", "{r}{b}腊味食品厂"},
			facName:  "{b}食品加工厂", ccType: "91"},
		roleCentralKitchen: {fixed: 1, orgKind: "PROCESSOR", facKind: "FACTORY", licence: "110",
			specs:    []string{"meal.pack"},
			orgNames: []string{"雅安市{b}中央厨房食品有限公司"},
			facName:  "{b}中央厨房{t}生产基地", ccType: "91"},
	}
}

// meatLine is one kind of livestock and what its abattoirs make of it.
type meatLine struct {
	farm, abattoir   role
	live, carcass    string
	headMin, headMax int
	carcassKgPerHead float64
	cuts             []string
	packs            map[string]string // cut → packaged product
}

func meatLines() []meatLine {
	return []meatLine{
		{farm: rolePigFarm, abattoir: rolePigAbattoir, live: "pig.live", carcass: "pork.carcass",
			headMin: 20, headMax: 150, carcassKgPerHead: 78,
			cuts:  []string{"pork.loin", "pork.belly", "pork.ribs", "pork.leg"},
			packs: map[string]string{"pork.loin": "pork.loin.pack", "pork.belly": "pork.belly.pack", "pork.ribs": "pork.ribs.pack"}},
		{farm: roleChickenFarm, abattoir: roleChickenAbattoir, live: "chicken.live", carcass: "chicken.carcass",
			headMin: 400, headMax: 3000, carcassKgPerHead: 1.6,
			cuts:  []string{"chicken.breast", "chicken.leg"},
			packs: map[string]string{"chicken.breast": "chicken.breast.pack", "chicken.leg": "chicken.leg.pack"}},
		{farm: roleYakFarm, abattoir: roleYakAbattoir, live: "cattle.live", carcass: "beef.carcass",
			headMin: 4, headMax: 30, carcassKgPerHead: 150,
			cuts:  []string{"beef.shank", "beef.brisket"},
			packs: map[string]string{"beef.shank": "beef.shank.pack"}},
	}
}

// measureDef is one thing a laboratory measures, with its legal limits
// (GB 2707 for fresh meat, GB 2763 for pesticide residues, GB 2762 for
// contaminants, GB 19301 for raw milk) and how values are distributed.
type measureDef struct {
	name, unit     string
	min, max       float64
	hasMin, hasMax bool
	mean, sd       float64 // passing values; mean 0 and sd 0: "not detected"
	failLo, failHi float64 // a failing value
	decimals       int
}

func maxOnly(name, unit string, limit, mean, sd, failLo, failHi float64, decimals int) measureDef {
	return measureDef{name: name, unit: unit, max: limit, hasMax: true, mean: mean, sd: sd,
		failLo: failLo, failHi: failHi, decimals: decimals}
}

// profiles returns what is measured for each inspection profile.
func profiles() map[string][]measureDef {
	notDetected := func(name string) measureDef {
		return maxOnly(name, "μg/kg", 0, 0, 0, 0.3, 4, 2)
	}
	tvbn := maxOnly("TVB-N", "mg/100g", 15, 9.5, 1.8, 15.5, 26, 1)
	return map[string][]measureDef{
		"live":    {notDetected("clenbuterol"), notDetected("ractopamine"), notDetected("salbutamol")},
		"meat":    {tvbn, notDetected("clenbuterol")},
		"poultry": {tvbn, maxOnly("enrofloxacin", "μg/kg", 100, 8, 6, 120, 320, 1)},
		"tea": {maxOnly("lead", "mg/kg", 5, 0.9, 0.35, 5.4, 9, 2), maxOnly("moisture", "%", 7, 5.6, 0.5, 7.4, 9.5, 1),
			maxOnly("bifenthrin", "mg/kg", 5, 0.08, 0.05, 5.5, 8, 3)},
		"produce": {maxOnly("chlorpyrifos", "mg/kg", 0.02, 0.004, 0.004, 0.03, 0.2, 3),
			maxOnly("cadmium", "mg/kg", 0.05, 0.012, 0.008, 0.06, 0.15, 3), maxOnly("lead", "mg/kg", 0.1, 0.02, 0.015, 0.12, 0.4, 3)},
		"egg": {notDetected("enrofloxacin"), maxOnly("lead", "mg/kg", 0.2, 0.03, 0.02, 0.25, 0.6, 3)},
		"dairy": {{name: "protein", unit: "g/100g", min: 2.8, hasMin: true, mean: 3.15, sd: 0.12, failLo: 2.4, failHi: 2.75, decimals: 2},
			maxOnly("aflatoxin M1", "μg/kg", 0.5, 0.08, 0.05, 0.6, 1.2, 2)},
		"cured": {maxOnly("nitrite", "mg/kg", 30, 11, 5, 35, 80, 1), maxOnly("peroxide value", "g/100g", 0.5, 0.15, 0.07, 0.6, 1.1, 2)},
		"meal":  {maxOnly("aerobic plate count", "CFU/g", 100000, 8000, 5000, 150000, 600000, 0), tvbn},
	}
}

// Words names are made of.
func brands() []string {
	return []string{"丰源", "康达", "绿源", "蜀峰", "雅康", "天禾", "金穗", "瑞丰", "鑫旺", "恒昌", "顺意", "新农",
		"兴旺", "福满", "盛源", "宏达", "青衣江", "周公山", "碧峰", "雅雨", "蒙顶", "熊猫", "二郎山", "清溪",
		"茶马", "川西", "雅鲜", "山泉", "云雾", "嘉禾", "佳园", "润丰", "益农", "田园", "兴农", "康源", "华丰",
		"金山", "银杏", "锦程", "和顺", "永丰", "众鑫", "龙腾", "百味", "雅之源", "雅州", "禾润", "天府",
		"蜀康", "泰和", "鼎盛", "长青", "富民", "祥和", "红岩", "翠峰", "雪山", "牛背山", "瓦屋山"}
}

func surnames() []string {
	return []string{"张", "王", "李", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "胡", "朱", "高",
		"林", "何", "郭", "马", "罗", "梁", "宋", "郑", "谢", "韩", "唐", "冯", "董", "程", "曹", "袁", "邓",
		"许", "傅", "沈", "曾", "彭", "吕", "苏", "卢", "蒋", "蔡", "魏", "叶", "余", "杜", "钟", "田", "任",
		"范", "石", "谭", "廖", "熊", "雷", "汤", "易", "贺", "赖", "龚", "文", "母", "税", "先"}
}

func villages() []string {
	return []string{"新民", "红星", "团结", "和平", "光明", "永兴", "联合", "胜利", "金花", "白马", "青龙",
		"石桥", "柏树", "桂花", "大田", "双河", "凉水", "龙泉", "杨柳", "清江", "万古", "高桥"}
}

func roads() []string {
	return []string{"建设路", "人民路", "新华路", "沿江路", "雅州大道", "滨江路", "工业园区", "解放路",
		"东大街", "西大街", "南环路", "北环路", "兴业路", "民主路", "育才路"}
}
