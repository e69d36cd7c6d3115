"""Manual review table for survey_rdatasets.py.

MANUAL[(package, item)] is either
  {"target": col, "drop": [extra columns to drop], "keep": [columns the mechanical
   id/time regex flagged but that are genuine attributes], "desc": one-line description}
or
  {"reject": reason}
Columns flagged by the mechanical rules (rownames, id/name-like, time-index-like, constant,
high-cardinality strings) are dropped automatically; "drop" lists only the additional
leak / co-outcome / grouping-id columns chosen on review.
"""

MANUAL = {
    # ------------------------------------------------------------------ selected
    ("AER", "CPSSW8"): {
        "target": "earnings",
        "desc": "US March CPS 1992-2004 (Stock & Watson): average hourly earnings vs gender, age, region, education",
    },
    ("AER", "CPS1988"): {
        "target": "wage",
        "desc": "US March CPS 1988 men: weekly wage vs education, experience, ethnicity, SMSA, region, part-time",
    },
    ("AER", "HousePrices"): {
        "target": "price",
        "desc": "Windsor (Canada) house sale prices 1987 vs lot size, rooms and amenities (Anglin & Gencay)",
    },
    ("Ecdat", "BudgetFood"): {
        "target": "wfood",
        "desc": "Spanish household budget survey 1980: food share of expenditure vs total expenditure, age, household size, town size, sex",
    },
    ("Ecdat", "Caschool"): {
        "target": "testscr",
        "drop": ["readscr", "mathscr"],
        "desc": "California school districts 1998-99: average test score vs student-teacher ratio, income, English learners, spending",
    },
    ("Ecdat", "Computers"): {
        "target": "price",
        "drop": ["trend"],
        "desc": "US personal computer prices 1993-95 vs speed, disk, RAM, screen, CD, multimedia, premium brand, ads",
    },
    ("Ecdat", "MedExp"): {
        "target": "med",
        "desc": "RAND Health Insurance Experiment: annual medical expenditure vs coinsurance, deductible, health, income, demographics",
    },
    ("Ecdat", "Workinghours"): {
        "target": "hours",
        "desc": "US PSID 1987 wives: annual hours worked vs other income, age, education, children, occupation, unemployment",
    },
    ("HSAUR", "Forbes2000"): {
        "target": "marketvalue",
        "desc": "Forbes 2000 largest companies (2004): market value vs country, industry, sales, profits, assets",
    },
    ("HistData", "GaltonFamilies"): {
        "target": "childHeight",
        "drop": ["family"],
        "desc": "Galton's 1886 family heights: adult child height vs father, mother, mid-parent height, family size, birth order, gender",
    },
    ("carData", "Salaries"): {
        "target": "salary",
        "desc": "US college professors' 9-month salaries 2008-09 vs rank, discipline, years since PhD, years of service, sex",
    },
    ("causaldata", "nhefs_complete"): {
        "target": "wt82_71",
        "drop": ["wt82", "death", "yrdth", "modth", "dadth"],
        "desc": "NHANES I Epidemiologic Follow-up (Hernan & Robins): weight change 1971-82 vs smoking cessation and baseline covariates",
    },
    ("dslabs", "mice_weights"): {
        "target": "body_weight",
        "desc": "Diversity Outbred mice (Jackson Lab): body weight at 19 weeks vs bone density, percent fat, sex, diet, generation, litter",
    },
    ("ggplot2", "diamonds"): {
        "target": "price",
        "desc": "Prices of ~54k round-cut diamonds vs carat, cut, colour, clarity, depth, table and dimensions",
    },
    ("mlmRev", "Hsb82"): {
        "target": "mAch",
        "drop": ["school"],
        "desc": "High School and Beyond 1982: student math achievement vs SES, minority, sex, school mean SES and sector",
    },
    ("modeldata", "ames"): {
        "target": "Sale_Price",
        "drop": ["Mo_Sold"],
        "keep": ["Year_Built", "Year_Remod_Add"],
        "desc": "Ames, Iowa residential home sales 2006-10 (De Cock): sale price vs ~70 house attributes",
    },
    ("modeldata", "biomass"): {
        "target": "HHV",
        "drop": ["dataset"],
        "desc": "Biomass fuels: higher heating value vs ultimate-analysis carbon, hydrogen, oxygen, nitrogen, sulfur content",
    },
    ("modeldata", "car_prices"): {
        "target": "Price",
        "desc": "Kelley Blue Book 2005 resale prices of GM cars vs mileage, cylinders, doors, options, make and body style",
    },
    ("modeldata", "concrete"): {
        "target": "compressive_strength",
        "desc": "Concrete compressive strength (Yeh 1998) vs mixture components and age",
    },
    ("modeldata", "deliveries"): {
        "target": "time_to_delivery",
        "keep": ["hour", "day"],
        "desc": "Food delivery times for one restaurant vs order hour, weekday, distance and counts of 27 menu items",
    },
    ("modeldata", "hotel_rates"): {
        "target": "avg_price_per_room",
        "drop": ["arrival_date_num"],
        "desc": "Lisbon resort hotel bookings 2016-17: average daily room rate vs stay, guest, channel, room and historical-rate features",
    },
    ("modeldata", "Sacramento"): {
        "target": "price",
        "desc": "Sacramento CA home sales (5 days, 2008): price vs city, zip, beds, baths, sqft, type, latitude/longitude",
    },
    ("modeldata", "stackoverflow"): {
        "target": "Salary",
        "desc": "Stack Overflow 2017 developer survey: salary vs country, years coding, company size, remote, role indicators",
    },
    ("mosaicData", "HELPrct"): {
        "target": "cesd",
        "drop": ["id"],
        "desc": "HELP randomized trial of adults in detox: CES-D depressive-symptom score vs substance use, demographics, health scores",
    },
    ("mosaicData", "SaratogaHouses"): {
        "target": "price",
        "desc": "Saratoga County NY house prices 2006 vs lot size, age, land value, living area, rooms, heating, amenities",
    },
    ("openintro", "bdims"): {
        "target": "wgt",
        "desc": "Body girth and skeletal diameter measurements of 507 physically active adults: body weight vs 24 measurements, age, height, sex",
    },
    ("openintro", "births14"): {
        "target": "weight",
        "drop": ["lowbirthweight"],
        "desc": "2014 US births sample: birth weight vs parents' ages, gestation weeks, visits, weight gained, sex, smoking, marital status",
    },
    ("palmerpenguins", "penguins"): {
        "target": "body_mass_g",
        "desc": "Palmer Archipelago penguins: body mass vs species, island, bill length/depth, flipper length, sex",
    },
    ("wooldridge", "catholic"): {
        "target": "math12",
        "drop": ["read12"],
        "desc": "NELS:88 students: 12th-grade math score vs Catholic high school attendance, race, parental education, family income",
    },
    ("wooldridge", "gpa2"): {
        "target": "colgpa",
        "desc": "US college students: cumulative college GPA vs SAT, credit hours, athlete, high-school size/rank/percentile, race, sex",
    },
    ("wooldridge", "k401ksubs"): {
        "target": "nettfa",
        "desc": "SIPP 1991 households: net total financial assets vs 401(k) eligibility/participation, IRA, income, age, family size",
    },
    ("wooldridge", "mlb1"): {
        "target": "salary",
        "drop": ["lsalary"],
        "keep": ["years"],
        "desc": "1993 MLB player salaries vs career performance statistics, position, all-star years and team-city demographics",
    },
    ("wooldridge", "wage2"): {
        "target": "wage",
        "drop": ["lwage"],
        "desc": "NLS 1980 men: monthly earnings vs hours, IQ, KWW, education, experience, tenure, family background",
    },
    # ------------------------------------------------------------------ reviewed, rejected
    ("AER", "CollegeDistance"): {
        "reject": "natural response is years of education (7 values); 'score' is a base-year covariate"
    },
    ("AER", "CASchools"): {
        "reject": "same districts as Ecdat::Caschool (kept that one: has the combined test score)"
    },
    ("AER", "CPSSW9204"): {"reject": "subset/sibling of AER::CPSSW8 (kept CPSSW8)"},
    ("AER", "CPSSW9298"): {"reject": "subset/sibling of AER::CPSSW8 (kept CPSSW8)"},
    ("AER", "CPSSW04"): {"reject": "subset/sibling of AER::CPSSW8 (kept CPSSW8)"},
    ("AER", "CPSSWEducation"): {"reject": "sibling of AER::CPSSW8 (kept CPSSW8)"},
    ("AER", "CPS1985"): {
        "reject": "wage domain already covered (CPS1988, CPSSW8, wage2); duplicate of mosaicData::CPS85"
    },
    ("AER", "PSID1976"): {
        "reject": "Mroz data; wage is zero/NA for non-participants; natural response is participation"
    },
    ("AER", "PSID7682"): {
        "reject": "panel: 595 individuals x 7 years (same as Ecdat::Wages / plm::Wages)"
    },
    ("AER", "CreditCard"): {
        "reject": "natural response is card approval (binary); expenditure is zero for rejected applicants"
    },
    ("AER", "NMES1988"): {
        "reject": "natural response is physician visits (count); only 'income' qualifies mechanically"
    },
    ("AER", "Fatalities"): {"reject": "panel: 48 states x 7 years"},
    ("AER", "Guns"): {"reject": "panel: 51 states x 23 years"},
    ("AER", "USSeatBelts"): {"reject": "panel: states x years"},
    ("AER", "OECDGas"): {"reject": "panel: 18 countries x 19 years"},
    ("AER", "Municipalities"): {"reject": "panel: 265 municipalities x 9 years"},
    ("AER", "USMacroSWM"): {"reject": "monthly macro time series (ts converted, no time column)"},
    ("datasets", "EuStockMarkets"): {
        "reject": "daily stock index time series (mts converted, no time column)"
    },
    ("Ecdat", "Capm"): {"reject": "monthly return time series"},
    ("Ecdat", "Irates"): {"reject": "monthly interest-rate time series"},
    ("Ecdat", "Mishkin"): {"reject": "monthly inflation/interest time series"},
    ("Ecdat", "Pricing"): {"reject": "monthly portfolio return time series"},
    ("Ecdat", "CRSPmon"): {"reject": "monthly return time series"},
    ("Ecdat", "CRSPday"): {"reject": "daily return time series"},
    ("Ecdat", "Housing"): {"reject": "duplicate of AER::HousePrices"},
    ("Ecdat", "Mroz"): {"reject": "Mroz data; wage zero for non-participants"},
    ("Ecdat", "Wages"): {"reject": "panel: 595 individuals x 7 years"},
    ("Ecdat", "Males"): {"reject": "panel: 545 men x 8 years"},
    ("Ecdat", "Cigar"): {"reject": "panel: states x years"},
    ("Ecdat", "Produc"): {"reject": "panel: 48 states x 17 years"},
    ("Ecdat", "Crime"): {"reject": "panel: 90 counties x 7 years"},
    ("Ecdat", "SumHes"): {"reject": "panel: countries x years"},
    ("Ecdat", "VietNamI"): {
        "reject": "natural response is pharmacy visits (count); lnhhexp is household-level covariate"
    },
    ("Ecdat", "Schooling"): {"reject": "Card (1995) data; wage domain already covered"},
    ("Ecdat", "RetSchool"): {"reject": "Card (1995)-style data; wage domain already covered"},
    ("Ecdat", "Treatment"): {
        "reject": "LaLonde/NSW-PSID earnings; many zero earnings, causal-effect teaching set"
    },
    ("Ecdat", "Wages1"): {"reject": "wage domain already covered; only 3 features"},
    ("carData", "SLID"): {
        "reject": "44% of the target (wages) is missing; wage domain already covered"
    },
    ("carData", "Mroz"): {"reject": "natural response is labour-force participation (binary)"},
    ("causaldata", "nhefs"): {
        "reject": "superset of nhefs_complete with missing target rows (kept nhefs_complete)"
    },
    ("causaldata", "gapminder"): {"reject": "panel: 142 countries x 12 years"},
    ("DAAG", "nassCDS"): {
        "reject": "only numeric candidate is the sampling weight; natural response is death (binary)"
    },
    ("dslabs", "gapminder"): {"reject": "panel: countries x years"},
    ("gapminder", "gapminder"): {"reject": "panel: countries x years"},
    ("ggplot2", "txhousing"): {"reject": "panel: 46 Texas cities x monthly time series"},
    ("ggplot2movies", "movies"): {
        "reject": "only 'votes' qualifies; rating has 91 distinct values (<5% of 58,788 rows)"
    },
    ("HLMdiag", "radon"): {"reject": "only 2 features left after dropping county id/name"},
    ("mlmRev", "star"): {"reject": "panel: students x grades (repeated measures)"},
    ("mlmRev", "egsingle"): {"reject": "panel: children x years (repeated measures)"},
    ("modeldata", "attrition"): {
        "reject": "IBM HR attrition data is fictional (synthetic); natural response is attrition"
    },
    ("modeldata", "wa_churn"): {
        "reject": "IBM Telco churn (synthetic sample); natural response is churn; total_charges ~ monthly*tenure"
    },
    ("modeldata", "lending_club"): {"reject": "natural response is loan class (binary)"},
    ("modeldata", "penguins"): {"reject": "duplicate of palmerpenguins::penguins"},
    ("mosaicData", "Galton"): {"reject": "same Galton family heights as HistData::GaltonFamilies"},
    ("mosaicData", "CPS85"): {"reject": "duplicate of AER::CPS1985"},
    ("mosaicData", "HELPmiss"): {
        "reject": "superset of HELPrct with missing values (kept HELPrct)"
    },
    ("mosaicData", "TenMileRace"): {
        "reject": "net time is near-deterministic given gun time; only age/sex/state otherwise"
    },
    ("nlme", "MathAchieve"): {"reject": "same High School and Beyond data as mlmRev::Hsb82"},
    ("nycflights13", "weather"): {"reject": "hourly weather time series"},
    ("openintro", "ames"): {"reject": "same Ames housing data as modeldata::ames"},
    ("openintro", "fastfood"): {
        "reject": "calories is a near-deterministic linear combination of fat/carb/protein"
    },
    ("openintro", "evals"): {
        "reject": "natural response (evaluation score) has too few distinct values; 'age'/'bty_avg' are covariates"
    },
    ("openintro", "ncbirths"): {"reject": "births domain covered by openintro::births14"},
    ("openintro", "loans_full_schema"): {
        "reject": "interest rate nearly determined by grade/sub_grade; messy joint-application columns"
    },
    ("openintro", "hfi"): {"reject": "panel: countries x years"},
    ("palmerpenguins", "penguins_raw"): {"reject": "raw version of palmerpenguins::penguins"},
    ("heplots", "peng"): {"reject": "duplicate of palmerpenguins::penguins"},
    ("plm", "Snmesp"): {"reject": "panel: firms x years"},
    ("plm", "EmplUK"): {"reject": "panel: firms x years"},
    ("sandwich", "InstInnovation"): {"reject": "panel: firms x years"},
    ("stevedata", "fakeAPI"): {"reject": "fake (simulated) data"},
    ("stevedata", "fakeHappiness"): {"reject": "fake (simulated) data"},
    ("stevedata", "fakeTSCS"): {"reject": "fake (simulated) time-series cross-section"},
    ("itsadug", "simdat"): {"reject": "simulated time series"},
    ("itsadug", "eeg"): {"reject": "EEG time series"},
    ("HistData", "Pollen"): {"reject": "constructed data-challenge data set (synthetic)"},
    ("Stat2Data", "GrinnellHouses"): {
        "reject": "sale price nearly determined by list/original price columns"
    },
    ("wooldridge", "census2000"): {"reject": "wage domain already covered by larger CPS sets"},
    ("wooldridge", "twoyear"): {"reject": "wage domain already covered"},
    ("wooldridge", "card"): {"reject": "Card (1995) data; wage domain already covered"},
    ("wooldridge", "mroz"): {"reject": "Mroz data; wage missing for non-participants"},
    ("wooldridge", "wage1"): {"reject": "wage domain already covered (wage2 kept)"},
    ("wooldridge", "hprice3"): {
        "reject": "same houses as wooldridge::kielmc; only 321 rows; housing covered"
    },
    ("wooldridge", "kielmc"): {
        "reject": "two-year pooled panel of the same houses; housing covered"
    },
    ("wooldridge", "countymurders"): {"reject": "panel: counties x years"},
    ("wooldridge", "wagepan"): {"reject": "panel: 545 men x 8 years"},
    ("wooldridge", "school93_98"): {"reject": "panel: schools x years"},
    ("wooldridge", "mathpnl"): {"reject": "panel: districts x years"},
    ("wooldridge", "airfare"): {"reject": "panel: routes x years"},
    ("wooldridge", "meap01"): {"reject": "school domain covered; read4 co-outcome dominates"},
    ("wooldridge", "benefits"): {
        "reject": "same schools as wooldridge::elem94_95; no clear natural response"
    },
    ("wooldridge", "bwght2"): {"reject": "births domain covered by openintro::births14"},
    ("wooldridge", "labsup"): {
        "reject": "natural response (hours) fails the distinct-value rule; labinc is a covariate"
    },
    ("sampleSelection", "RandHIE"): {
        "reject": "panel: individuals x years of the RAND HIE (Ecdat::MedExp kept)"
    },
    ("sampleSelection", "nlswork"): {"reject": "panel: women x years"},
    ("COUNT", "rwm5yr"): {"reject": "panel: German health survey individuals x years"},
    ("crch", "RainIbk"): {"reject": "daily precipitation time series"},
    ("robustbase", "NOxEmissions"): {"reject": "hourly air-pollution time series"},
    ("texmex", "summer"): {"reject": "daily air-pollution time series"},
    ("texmex", "winter"): {"reject": "daily air-pollution time series"},
    ("tidyr", "who"): {"reject": "wide-format panel of counts (countries x years)"},
    ("tidyr", "world_bank_pop"): {"reject": "wide-format panel (years as columns)"},
    ("tidyr", "billboard"): {"reject": "wide-format weekly rankings"},
}

DUP_PREFERENCE = {}

# R package licences (DESCRIPTION "License:" field, looked up in public copies of each
# package's DESCRIPTION).  Package licence, not necessarily the licence of the data itself.
LICENCES = {
    "AER": "GPL-2 | GPL-3",
    "Ecdat": "GPL (>= 2)",
    "HSAUR": "GPL",
    "HistData": "GPL",
    "carData": "GPL (>= 2)",
    "causaldata": "MIT + file LICENSE",
    "dslabs": "Artistic-2.0",
    "ggplot2": "MIT + file LICENSE",
    "mlmRev": "GPL (>= 2)",
    "modeldata": "MIT + file LICENSE",
    "mosaicData": "GPL (>= 2)",
    "openintro": "GPL-3",
    "palmerpenguins": "CC0",
    "wooldridge": "GPL-3",
}
