/*
 * gen.c — deterministic generator of a synthetic corpus of CQC finding
 * sentences in the .tsv findings format (assess-corpus(5)), for the
 * benchmarks: `gen -n 1000000 -s 42 -o DIR`.
 *
 * Same seed and size give byte-identical output on any machine: the only
 * randomness is our own xoshiro256** seeded with splitmix64, all sampling
 * is integer arithmetic (no libm, no floating point), and files are written
 * in a fixed order.  Each output file has its own generator stream, seeded
 * from (seed, file number), so a file's text depends only on the seed, its
 * place and its sentence count.
 *
 * Layout: DIR/<council-slug>/<n>-<statement-slug>.tsv, one file per
 * (council, quality statement) pair: 153 councils x 9 statements.  A file
 * holds the statement's I-statements (kind expectation, identical in every
 * council), its commitment text (kind commitment, identical in every
 * council), then findings under the statement's sub-headings.
 *
 * Findings are built from: an opener in the reports' manner ("Staff told us
 * that"), words drawn from a Zipf (1/rank) distribution over a vocabulary
 * whose head is every lower-case word of the two bundled reports (vocab.h),
 * then social-care words, then a synthetic tail of pronounceable rare words;
 * mixed in: social-care phrases (direct payments, waiting lists...),
 * hyphenated compounds (co-production, face-to-face, North-East),
 * acronyms defined on first use in a file ("Safeguarding Adults Reviews
 * (SAR)") and written in capitals after, numbers (68.42%, 2022/23, £1.2
 * million), possessives with straight or curly apostrophes, proper nouns.
 * Sentences are 10-40 words (mean 25), about 165 bytes.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include "vocab.h"

#define NELEMS(a) (sizeof(a) / sizeof((a)[0]))

/* ---- PRNG: splitmix64 to seed xoshiro256** (Blackman & Vigna) ------------ */

typedef struct rng { uint64_t s[4]; } rng;

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static void rng_seed(rng *r, uint64_t seed, uint64_t stream)
{
    uint64_t x = seed ^ (stream * 0xd1342543de82ef95ULL);
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&x);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static uint64_t rng_next(rng *r)
{
    uint64_t *s = r->s;
    uint64_t out = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return out;
}

/* Uniform in [0, n): Lemire's multiply-shift without the rejection step;
 * its bias (< n / 2^64) does not matter here and it keeps the stream's
 * consumption fixed (one draw per call), which keeps output reproducible. */
static uint32_t rng_below(rng *r, uint32_t n)
{
    return (uint32_t)(((unsigned __int128)rng_next(r) * n) >> 64);
}

/* 1 with probability per/1000. */
static int chance(rng *r, uint32_t per_mille) { return rng_below(r, 1000) < per_mille; }

/* ---- Zipf sampler over ranks 1..n with weight 1/rank, integer only ------ */

typedef struct zipf {
    uint64_t *cum; /* cum[i] = sum of weights of ranks 1..i+1 */
    uint32_t n;
} zipf;

/* Weights 1/rank up to rank `head`, then head/rank^2: a plain 1/rank law
 * over a large vocabulary gives rare words far too much of the text (a
 * third); with the steeper tail about one word in eight comes from it, as
 * in real prose.  head = n gives the plain law. */
static int zipf_init(zipf *z, uint32_t n, uint32_t head)
{
    z->n = n;
    z->cum = malloc((size_t)n * sizeof *z->cum);
    if (!z->cum)
        return -1;
    uint64_t acc = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint64_t r = i + 1;
        acc += r <= head ? (UINT64_C(1) << 32) / r
                         : ((UINT64_C(1) << 32) * head) / (r * r);
        z->cum[i] = acc;
    }
    return 0;
}

/* Returns a 0-based rank. */
static uint32_t zipf_draw(const zipf *z, rng *r)
{
    uint64_t x = (uint64_t)(((unsigned __int128)rng_next(r) * z->cum[z->n - 1]) >> 64);
    uint32_t lo = 0, hi = z->n - 1;
    while (lo < hi) { /* first i with cum[i] > x */
        uint32_t mid = lo + (hi - lo) / 2;
        if (z->cum[mid] > x)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

static void zipf_free(zipf *z) { free(z->cum); }

/* ---- The domain -------------------------------------------------------- */

/* The 153 English councils with adult social care duties (county,
 * metropolitan, London and unitary), as CQC names them, approximately. */
static const char *const councils[] = {
    /* county councils */
    "Cambridgeshire County Council", "Derbyshire County Council",
    "Devon County Council", "East Sussex County Council", "Essex County Council",
    "Gloucestershire County Council", "Hampshire County Council",
    "Hertfordshire County Council", "Kent County Council",
    "Lancashire County Council", "Leicestershire County Council",
    "Lincolnshire County Council", "Norfolk County Council",
    "Nottinghamshire County Council", "Oxfordshire County Council",
    "Staffordshire County Council", "Suffolk County Council",
    "Surrey County Council", "Warwickshire County Council",
    "West Sussex County Council", "Worcestershire County Council",
    /* metropolitan boroughs */
    "Barnsley Metropolitan Borough Council", "Birmingham City Council",
    "Bolton Council", "City of Bradford Metropolitan District Council",
    "Bury Council", "Calderdale Council", "Coventry City Council",
    "City of Doncaster Council", "Dudley Metropolitan Borough Council",
    "Gateshead Council", "Kirklees Council",
    "Knowsley Metropolitan Borough Council", "Leeds City Council",
    "Liverpool City Council", "Manchester City Council",
    "Newcastle upon Tyne City Council", "North Tyneside Council",
    "Oldham Council", "Rochdale Borough Council",
    "Rotherham Metropolitan Borough Council", "Salford City Council",
    "Sandwell Metropolitan Borough Council", "Sefton Council",
    "Sheffield City Council", "Solihull Metropolitan Borough Council",
    "South Tyneside Council", "St Helens Borough Council",
    "Stockport Metropolitan Borough Council", "Sunderland City Council",
    "Tameside Metropolitan Borough Council", "Trafford Council",
    "Wakefield Council", "Walsall Council", "Wigan Council",
    "Wirral Council", "City of Wolverhampton Council",
    /* London */
    "London Borough of Barking and Dagenham", "London Borough of Barnet",
    "London Borough of Bexley", "London Borough of Brent",
    "London Borough of Bromley", "London Borough of Camden",
    "City of London Corporation", "London Borough of Croydon",
    "London Borough of Ealing", "London Borough of Enfield",
    "Royal Borough of Greenwich", "London Borough of Hackney",
    "London Borough of Hammersmith and Fulham", "London Borough of Haringey",
    "London Borough of Harrow", "London Borough of Havering",
    "London Borough of Hillingdon", "London Borough of Hounslow",
    "London Borough of Islington", "Royal Borough of Kensington and Chelsea",
    "Royal Borough of Kingston upon Thames", "London Borough of Lambeth",
    "London Borough of Lewisham", "London Borough of Merton",
    "London Borough of Newham", "London Borough of Redbridge",
    "London Borough of Richmond upon Thames", "London Borough of Southwark",
    "London Borough of Sutton", "London Borough of Tower Hamlets",
    "London Borough of Waltham Forest", "London Borough of Wandsworth",
    "Westminster City Council",
    /* unitary authorities */
    "Bath and North East Somerset Council", "Bedford Borough Council",
    "Blackburn with Darwen Borough Council", "Blackpool Council",
    "Bournemouth, Christchurch and Poole Council",
    "Bracknell Forest Council", "Brighton and Hove City Council",
    "Bristol City Council", "Buckinghamshire Council",
    "Central Bedfordshire Council", "Cheshire East Council",
    "Cheshire West and Chester Council", "Cornwall Council",
    "Cumberland Council", "Darlington Borough Council", "Derby City Council",
    "Dorset Council", "Durham County Council",
    "East Riding of Yorkshire Council", "Halton Borough Council",
    "Hartlepool Borough Council", "Herefordshire Council",
    "Isle of Wight Council", "Council of the Isles of Scilly",
    "Kingston upon Hull City Council", "Leicester City Council",
    "Luton Borough Council", "Medway Council", "Middlesbrough Council",
    "Milton Keynes City Council", "North East Lincolnshire Council",
    "North Lincolnshire Council", "North Northamptonshire Council",
    "North Somerset Council", "North Yorkshire Council",
    "Northumberland County Council", "Nottingham City Council",
    "Peterborough City Council", "Plymouth City Council",
    "Portsmouth City Council", "Reading Borough Council",
    "Redcar and Cleveland Borough Council", "Rutland County Council",
    "Shropshire Council", "Slough Borough Council", "Somerset Council",
    "South Gloucestershire Council", "Southampton City Council",
    "Southend-on-Sea City Council", "Stockton-on-Tees Borough Council",
    "Stoke-on-Trent City Council", "Swindon Borough Council",
    "Telford and Wrekin Council", "Thurrock Council", "Torbay Council",
    "Warrington Borough Council", "West Berkshire Council",
    "West Northamptonshire Council", "Westmorland and Furness Council",
    "Wiltshire Council", "Royal Borough of Windsor and Maidenhead",
    "Wokingham Borough Council", "City of York Council",
};

#define NSTMT 9

static const char *const stmt_names[NSTMT] = {
    "Assessing needs",
    "Supporting people to live healthier lives",
    "Equity in experiences and outcomes",
    "Care provision, integration and continuity",
    "Partnerships and communities",
    "Safe pathways, systems and transitions",
    "Safeguarding",
    "Governance, management and sustainability",
    "Learning, improvement and innovation",
};

/* The local authority commitment of each statement: the same text in every
 * council's report (so the index's duplicate groups get exercised). */
static const char *const commitments[NSTMT][4] = {
    {"We maximise the effectiveness of people’s care and treatment by assessing and reviewing their health, care, wellbeing and communication needs with them.", NULL},
    {"We support people to manage their health and wellbeing so they can maximise their independence, choice and control.",
     "We support them to live healthier lives and where possible, reduce future needs for care and support.", NULL},
    {"We actively seek out and listen to information about people who are most likely to experience inequality in experience or outcomes.",
     "We tailor the care, support and treatment in response to this.", NULL},
    {"We understand the diverse health and care needs of people and our local communities, so care is joined-up, flexible and supports choice and continuity.", NULL},
    {"We understand our duty to collaborate and work in partnership, so our services work seamlessly for people.",
     "We share information and learning with partners and collaborate for improvement.", NULL},
    {"We work with people and our partners to establish and maintain safe systems of care, in which safety is managed, monitored and assured.",
     "We ensure continuity of care, including when people move between different services.", NULL},
    {"We work with people to understand what being safe means to them and work with our partners to develop the best way to achieve this.",
     "We concentrate on improving people’s lives while protecting their right to live in safety, free from bullying, harassment, abuse, discrimination, avoidable harm and neglect.",
     "We make sure we share concerns quickly and appropriately.", NULL},
    {"We have clear responsibilities, roles, systems of accountability and good governance to manage and deliver good quality, sustainable care, treatment and support.",
     "We act on the best information about risk, performance and outcomes, and we share this securely with others when appropriate.", NULL},
    {"We focus on continuous learning, innovation and improvement across our organisation and the local system.",
     "We encourage creative ways of delivering equality of experience, outcome and quality of life for people.",
     "We actively contribute to safe, effective practice and research.", NULL},
};

/* "What people expect": I-statements, identical in every council. */
static const char *const expectations[NSTMT][3] = {
    {"I have care and support that is coordinated, and everyone works well together and with me.",
     "I have care and support that enables me to live as I want to, seeing me as a unique person with skills, strengths and goals.", NULL},
    {"I can get information and advice about my health, care and support and how I can be as well as possible – physically, mentally and emotionally.",
     "I am supported to plan ahead for important changes in my life that I can anticipate.", NULL},
    {"I have care and support that enables me to live as I want to, seeing me as a unique person with skills, strengths and goals.", NULL},
    {"I have care and support that is coordinated, and everyone works well together and with me.",
     "I know how to get the care and support I need, when I need it, close to home.", NULL},
    {"I have care and support that is coordinated, and everyone works well together and with me.", NULL},
    {"When I move between services, settings or areas, there is a plan for what happens next and who will do what, and all the practical arrangements are in place.",
     "I feel safe and am supported to understand and manage any risks.", NULL},
    {"I feel safe and am supported to understand and manage any risks.", NULL},
    {"I know who is responsible for my care and support, and I can speak up when something is not right.", NULL},
    {"I can tell people about my experience and they listen and use it to improve the care and support I receive.", NULL},
};

/* Sub-headings of "Key findings for this quality statement". */
static const char *const subheads[NSTMT][6] = {
    {"Assessing people’s needs", "Supporting people to plan and meet their needs",
     "Help for people to meet their non-eligible care and support needs",
     "Eligibility decisions for care and support",
     "Financial assessment and charging policy for care and support",
     "Provision of independent advocacy"},
    {"Arrangements to prevent, delay or reduce needs for care and support",
     "Provision and impact of intermediate care and reablement services",
     "Access to equipment and home adaptations",
     "Provision of accessible information and advice", "Direct payments", NULL},
    {"Understanding and reducing barriers to care and support and reducing inequalities",
     "Inclusion and accessibility arrangements", NULL},
    {"Understanding local needs for care and support",
     "Market shaping and commissioning to meet local needs",
     "Ensuring sufficiency of capacity in local services to meet demand",
     "Ensuring quality of local services",
     "Ensuring local services are sustainable", NULL},
    {"Partnership working to deliver shared local and national objectives",
     "Arrangements to support effective partnership working",
     "Impact of partnership working",
     "Working with voluntary and charity sector groups", NULL},
    {"Safety management", "Safety during transitions", "Contingency planning", NULL},
    {"Safeguarding systems, processes and practices",
     "Responding to local safeguarding risks and issues",
     "Responding to concerns and undertaking Section 42 enquiries",
     "Making safeguarding personal", NULL},
    {"Governance, accountability and risk management", "Strategic planning",
     "Information security", "Partnership and engagement", NULL},
    {"Continuous learning, improvement and professional development",
     "Learning from feedback", NULL},
};

/* Openers in the reports' manner. */
static const char *const openers[] = {
    "The local authority", "Staff told us that", "People told us that",
    "There was", "There were", "Leaders", "We heard that", "Partners told us that",
    "Data showed that", "Local authority data showed that", "Senior leaders",
    "Frontline staff", "Carers told us that", "Some people", "Not all staff",
    "In some instances,", "For example,", "However,", "Feedback from people showed that",
    "The council", "Managers", "Partner organisations", "Staff", "People",
    "Leaders told us that", "National data showed that", "Where", "While",
};

/* Social-care words after the reports' own (Zipf ranks follow on). */
static const char *const extra_words[] = {
    "assessment", "review", "reviews", "needs", "eligible", "eligibility",
    "housing", "health", "hospital", "discharge", "partners", "commissioners",
    "providers", "provider", "market", "capacity", "demand", "delays", "delay",
    "waiting", "timely", "responsive", "accessible", "information", "advice",
    "families", "family", "communities", "community", "residents",
    "population", "diverse", "inequalities", "barriers", "culture", "strategy",
    "strategic", "priorities", "budget", "funding", "financial", "resources",
    "recruitment", "retention", "vacancies", "agency", "workforce", "managers",
    "leadership", "governance", "accountability", "oversight", "risk", "risks",
    "safety", "safe", "neglect", "abuse", "concerns", "enquiries", "referrals",
    "referral", "outcomes", "independence", "choice", "control", "wellbeing",
    "prevention", "preventative", "equipment", "adaptations", "telecare",
    "advocates", "advocacy", "interpreters", "translation", "deaf", "blind",
    "sensory", "autism", "autistic", "dementia", "disability", "disabilities",
    "physical", "frailty", "older", "younger", "adults", "children",
    "transition", "transitions", "placements", "residential", "nursing",
    "homes", "domiciliary", "carer", "unpaid", "respite", "breaks", "backlog",
    "backlogs", "caseloads", "supervision", "audit", "audits", "assurance",
    "performance", "dashboard", "survey", "surveys", "satisfaction",
    "ombudsman", "upheld", "commissioning", "contracts", "tender", "fees",
    "sustainability", "sufficiency", "shortfalls", "vacancy", "turnover",
    "occupational", "therapy", "therapists", "nurses", "practitioners",
    "brokerage", "budgets", "payments", "charging", "contributions", "debt",
    "benefits", "poverty", "deprivation", "rural", "urban", "coastal",
    "isolation", "loneliness", "homelessness", "misuse", "alcohol", "drugs",
    "domestic", "slavery", "exploitation", "hoarding", "falls", "strokes",
    "reablement", "intermediate", "rehabilitation", "readmission", "admissions",
    "escalation", "triage", "duty", "hub", "hubs", "navigators", "coordinators",
    "volunteers", "charities", "faith", "groups", "forums", "boards",
    "panels", "meetings", "protocols", "pathways", "policies", "procedures",
    "thresholds", "criteria", "timescales", "targets", "monitoring", "evaluated",
    "commissioned", "integrated", "joint", "jointly", "shared", "aligned",
    "mature", "fragile", "stretched", "limited", "inconsistent", "variable",
    "consistently", "promptly", "positive", "negative", "mixed", "robust",
    "clear", "unclear", "aware", "unaware", "confident", "proud", "motivated",
    "empowered", "valued", "listened", "heard", "seldom", "underrepresented",
    "ethnic", "minority", "refugees", "asylum", "travellers", "veterans",
    "prisons", "probation", "police", "ambulance", "pharmacies", "dentists",
    "practices", "surgeries", "clinics", "wards", "beds", "bed", "flow",
    "winter", "pressures", "pandemic", "recovery", "cost", "living", "inflation",
    "digital", "online", "portal", "website", "leaflets", "languages", "easy",
    "read", "formats", "braille", "signposting", "signposted", "outreach",
};

/* Multi-word social-care phrases: drawn as units. */
static const char *const phrases[] = {
    "safeguarding", "carers", "unpaid carers", "direct payments",
    "waiting lists", "hoarding", "reablement", "advocacy", "occupational therapy",
    "mental health", "learning disabilities", "care homes", "home care",
    "waiting times", "hospital discharge", "Care Act assessments", "annual reviews",
    "young carers", "respite care", "domiciliary care", "short breaks",
    "autistic people", "dementia", "financial assessments", "personal budgets",
    "care and support plans", "supported living", "extra care housing",
    "shared lives", "day opportunities", "domestic abuse", "modern slavery",
    "substance misuse", "homelessness", "sensory impairment", "end of life care",
    "mental capacity assessments", "best interests decisions",
    "market sustainability", "international recruitment", "social workers",
    "social work", "early intervention", "information and advice",
    "digital inclusion", "equipment and adaptations", "community hubs",
    "voluntary sector", "carers’ assessments", "carers' assessments",
    "out of area placements", "quality assurance", "performance data",
    "caseloads", "front door", "duty team", "safeguarding enquiries",
    "section 42 enquiries", "Making Safeguarding Personal",
    "people with lived experience", "seldom heard groups",
    "ethnic minority communities", "Gypsy, Roma and Traveller communities",
    "refugees and asylum seekers", "falls prevention",
    "loneliness and isolation", "health inequalities", "integrated care",
    "joint working", "preparing for adulthood", "continuing healthcare",
    "intermediate care", "care packages", "cost of care", "workforce strategy",
    "complex needs", "learning from complaints", "quality of life",
};

/* Hyphenated compounds and their unhyphenated spellings, as the reports
 * mix them. */
static const char *const compounds[] = {
    "co-production", "co-produced", "coproduction", "strengths-based",
    "strengths based", "face-to-face", "person-centred", "well-being",
    "long-term", "short-term", "multi-agency", "multi-disciplinary",
    "self-neglect", "follow-up", "decision-making", "day-to-day",
    "out-of-hours", "hard-to-reach", "cost-of-living", "in-house", "step-down",
    "technology-enabled", "technology enabled", "sector-led", "high-quality",
    "low-level", "user-led", "place-based", "evidence-based", "North-East",
    "North-West", "South-West", "re-assessment", "one-to-one",
};

typedef struct acro {
    const char *expansion, *acro;
    int plural; /* later uses may say "SARs" */
} acro;

static const acro acronyms[] = {
    {"Safeguarding Adults Reviews", "SAR", 1},
    {"Deprivation of Liberty Safeguards", "DoLS", 0},
    {"Local Government and Social Care Ombudsman", "LGSCO", 0},
    {"Association of Directors of Adult Social Services", "ADASS", 0},
    {"technology enabled care", "TEC", 0},
    {"Integrated Care Board", "ICB", 1},
    {"Mental Capacity Act", "MCA", 0},
    {"Approved Mental Health Professionals", "AMHP", 1},
    {"Occupational Therapists", "OT", 1},
    {"Personal Assistants", "PA", 1},
    {"Adult Contact Team", "ACT", 0},
    {"Safeguarding Adults Board", "SAB", 0},
    {"Principal Social Worker", "PSW", 0},
    {"Voluntary, Community and Social Enterprise", "VCSE", 0},
    {"Care Quality Commission", "CQC", 0},
    {"Special Educational Needs and Disabilities", "SEND", 0},
    {"Multi-Agency Safeguarding Hub", "MASH", 0},
    {"Disabled Facilities Grants", "DFG", 1},
    {"Adult Social Care Outcomes Framework", "ASCOF", 0},
    {"Joint Strategic Needs Assessment", "JSNA", 0},
    {"Better Care Fund", "BCF", 0},
    {"Continuing Healthcare", "CHC", 0},
    {"Community Mental Health Teams", "CMHT", 1},
    {"Independent Mental Capacity Advocates", "IMCA", 1},
    {"Liberty Protection Safeguards", "LPS", 0},
};

_Static_assert(NELEMS(acronyms) <= 32, "filectx.acro_defined has 32 bits");

static const char *const proper[] = {
    "Healthwatch", "the Care Act 2014", "the Mental Capacity Act 2005",
    "the NHS", "the North-East region", "the North-West", "Yorkshire and the Humber",
    "the East Midlands", "the West Midlands", "London", "the South East",
    "the East of England", "the South West", "the Better Care Fund",
    "Skills for Care", "the Carers Trust", "Age UK", "Mind", "the university",
    "the Principal Social Worker", "the Director of Adult Social Services",
};

static const char *const months[12] = {
    "January", "February", "March", "April", "May", "June", "July",
    "August", "September", "October", "November", "December",
};

/* ---- Vocabulary -------------------------------------------------------- */

#define TAIL_WORDS 40000

typedef struct vocab {
    const char **w;  /* rank order */
    char *tailbuf;   /* storage of the synthetic words */
    uint32_t n;
    uint32_t nhead;  /* ranks of real words (reports' and extra_words) */
    /* Successors of report word i in the reports: succ[succ_off[i] ..
     * succ_off[i+1]) (CSR), for the bigram step. */
    uint32_t *succ_off;
    uint16_t *succ;
    int opener_last[NELEMS(openers)]; /* report word ending each opener, or -1 */
} vocab;

/* A pronounceable synthetic word for tail rank i (depends on i only). */
static size_t tail_word(uint32_t i, char *out)
{
    static const char *const on[] = {"b", "br", "c", "ch", "d", "f", "g", "gr",
        "h", "j", "k", "l", "m", "n", "p", "pr", "r", "s", "sh", "st", "t",
        "th", "tr", "v", "w"};
    static const char *const vo[] = {"a", "e", "i", "o", "u", "ai", "ea", "ou"};
    static const char *const co[] = {"", "", "n", "r", "l", "m", "s", "nt", "st"};
    static const char *const suf[] = {"", "", "", "", "ing", "ment", "ness",
        "tion", "ed", "er", "s", "ly", "al"};
    uint64_t x = i + UINT64_C(0x5eed);
    uint64_t h = splitmix64(&x);
    size_t n = 0;
    int syl = h % 10 < 7 ? 2 : 3;
    h /= 10;
    for (int s = 0; s < syl; s++) {
        const char *p[3] = {on[h % NELEMS(on)], vo[(h / 25) % NELEMS(vo)],
                            co[(h / 200) % NELEMS(co)]};
        h /= 1800;
        for (int k = 0; k < 3; k++) {
            size_t l = strlen(p[k]);
            memcpy(out + n, p[k], l);
            n += l;
        }
    }
    const char *sf = suf[h % NELEMS(suf)];
    size_t l = strlen(sf);
    memcpy(out + n, sf, l);
    n += l;
    out[n] = '\0';
    return n;
}

static int vocab_init(vocab *v)
{
    size_t nhead = NELEMS(report_words), nextra = NELEMS(extra_words);
    v->w = malloc((nhead + nextra + TAIL_WORDS) * sizeof *v->w);
    v->tailbuf = malloc((size_t)TAIL_WORDS * 40);
    if (!v->w || !v->tailbuf)
        return -1;
    v->n = 0;
    for (size_t i = 0; i < nhead; i++)
        v->w[v->n++] = report_words[i];
    for (size_t i = 0; i < nextra; i++) {
        int dup = 0;
        for (size_t j = 0; j < nhead && !dup; j++)
            dup = strcmp(extra_words[i], report_words[j]) == 0;
        if (!dup)
            v->w[v->n++] = extra_words[i];
    }
    v->nhead = v->n;

    /* Bigram successors from the reports' word sequence. */
    size_t nseq = NELEMS(report_seq);
    v->succ_off = calloc(nhead + 1, sizeof *v->succ_off);
    v->succ = malloc(nseq * sizeof *v->succ);
    if (!v->succ_off || !v->succ)
        return -1;
    for (size_t i = 0; i + 1 < nseq; i++)
        if (report_seq[i] >= 0 && report_seq[i + 1] >= 0)
            v->succ_off[report_seq[i] + 1]++;
    for (size_t i = 0; i < nhead; i++)
        v->succ_off[i + 1] += v->succ_off[i];
    uint32_t *fill = calloc(nhead, sizeof *fill);
    if (!fill)
        return -1;
    for (size_t i = 0; i + 1 < nseq; i++)
        if (report_seq[i] >= 0 && report_seq[i + 1] >= 0) {
            int a = report_seq[i];
            v->succ[v->succ_off[a] + fill[a]++] = (uint16_t)report_seq[i + 1];
        }
    free(fill);
    for (size_t o = 0; o < NELEMS(openers); o++) {
        const char *last = strrchr(openers[o], ' ');
        last = last ? last + 1 : openers[o];
        v->opener_last[o] = -1;
        for (size_t j = 0; j < nhead; j++)
            if (strcasecmp(report_words[j], last) == 0)
                v->opener_last[o] = (int)j;
    }

    char *p = v->tailbuf;
    for (uint32_t i = 0; i < TAIL_WORDS; i++) {
        size_t l = tail_word(i, p);
        v->w[v->n++] = p;
        p += l + 1;
    }
    return 0;
}

static void vocab_free(vocab *v)
{
    free(v->w);
    free(v->tailbuf);
    free(v->succ_off);
    free(v->succ);
}

/* ---- Sentence building ------------------------------------------------- */

#define SENT_MAX 2048

typedef struct sbuf {
    char b[SENT_MAX];
    size_t n;
    int words;
} sbuf;

/* Appends a unit of `words` words (space-separated from what precedes). */
static void put(sbuf *s, const char *t, int words)
{
    size_t l = strlen(t);
    if (s->n + l + 2 >= SENT_MAX) /* cannot happen at 40 words; never overflow */
        return;
    if (s->n)
        s->b[s->n++] = ' ';
    memcpy(s->b + s->n, t, l);
    s->n += l;
    s->b[s->n] = '\0';
    s->words += words;
}

static int count_words(const char *t)
{
    int n = 1;
    for (; *t; t++)
        n += *t == ' ';
    return n;
}

typedef struct gen {
    vocab voc;
    zipf zw, zphrase, zcomp, zacro, zopen;
} gen;

typedef struct filectx {
    rng r;
    uint32_t acro_defined; /* bit i: acronyms[i] defined in this file */
    const char *council;
} filectx;

static void make_finding(const gen *g, filectx *fc, sbuf *s)
{
    rng *r = &fc->r;
    char tmp[256];
    s->n = 0;
    s->words = 0;
    /* 10..40 words, mean 25: the sum of two uniform draws. */
    int target = 5 + (int)rng_below(r, 16) + 5 + (int)rng_below(r, 16);
    int prev = -1; /* report word just written, for the bigram step */
    if (chance(r, 650)) {
        uint32_t o = zipf_draw(&g->zopen, r);
        put(s, openers[o], count_words(openers[o]));
        prev = g->voc.opener_last[o];
    } else if (chance(r, 80)) {
        put(s, fc->council, count_words(fc->council));
    }

    while (s->words < target) {
        uint32_t u = rng_below(r, 1000);
        /* Half the time after a report word, a word that followed it in
         * the reports: "local authority", "continuous learning". */
        if (prev >= 0 && g->voc.succ_off[prev + 1] > g->voc.succ_off[prev]
            && u >= 500) {
            uint32_t lo = g->voc.succ_off[prev], hi = g->voc.succ_off[prev + 1];
            prev = g->voc.succ[lo + rng_below(r, hi - lo)];
            put(s, g->voc.w[prev], 1);
            continue;
        }
        u = rng_below(r, 1000);
        int next = -1;
        if (u < 60) {
            const char *p = phrases[zipf_draw(&g->zphrase, r)];
            put(s, p, count_words(p));
        } else if (u < 75) {
            put(s, compounds[zipf_draw(&g->zcomp, r)], 1);
        } else if (u < 87) {
            uint32_t a = zipf_draw(&g->zacro, r);
            const acro *ac = &acronyms[a];
            if (!(fc->acro_defined & (UINT32_C(1) << a))) {
                fc->acro_defined |= UINT32_C(1) << a;
                snprintf(tmp, sizeof tmp, "%s (%s)", ac->expansion, ac->acro);
                put(s, tmp, count_words(tmp));
            } else if (ac->plural && chance(r, 250)) {
                snprintf(tmp, sizeof tmp, "%ss", ac->acro);
                put(s, tmp, 1);
            } else {
                put(s, ac->acro, 1);
            }
        } else if (u < 99) {
            switch (rng_below(r, 5)) {
            case 0:
                snprintf(tmp, sizeof tmp, "%u.%02u%%", rng_below(r, 100), rng_below(r, 100));
                put(s, tmp, 1);
                break;
            case 1:
                snprintf(tmp, sizeof tmp, "%u", 1 + rng_below(r, 2000));
                put(s, tmp, 1);
                break;
            case 2: {
                unsigned y = 2019 + rng_below(r, 6);
                snprintf(tmp, sizeof tmp, "%u/%02u", y, (y + 1) % 100);
                put(s, tmp, 1);
                break;
            }
            case 3:
                snprintf(tmp, sizeof tmp, "£%u.%u million", 1 + rng_below(r, 40), rng_below(r, 10));
                put(s, tmp, 2);
                break;
            default:
                snprintf(tmp, sizeof tmp, "%s %u", months[rng_below(r, 12)], 2022 + rng_below(r, 4));
                put(s, tmp, 2);
                break;
            }
        } else if (u < 107) {
            const char *p = proper[rng_below(r, NELEMS(proper))];
            put(s, p, count_words(p));
        } else if (u < 117) {
            static const char *const poss[] = {"people’s", "people's",
                "the local authority’s", "the local authority's", "carers’",
                "staff’s", "the council’s", "families’"};
            const char *p = poss[rng_below(r, NELEMS(poss))];
            put(s, p, count_words(p));
        } else {
            uint32_t w = zipf_draw(&g->zw, r);
            put(s, g->voc.w[w], 1);
            if (w < NELEMS(report_words))
                next = (int)w;
            if (s->words < target && chance(r, 45) && s->n + 1 < SENT_MAX) {
                s->b[s->n++] = ',';
                s->b[s->n] = '\0';
                next = -1;
            }
        }
        prev = next;
    }
    if (s->n && s->b[s->n - 1] == ',')
        s->n--;
    /* Capital first letter (ASCII only: the units that start with a
     * non-ASCII byte, like "£", stay as they are). */
    if (s->n && s->b[0] >= 'a' && s->b[0] <= 'z')
        s->b[0] = (char)(s->b[0] - 'a' + 'A');
    s->b[s->n++] = '.';
    s->b[s->n] = '\0';
}

/* ---- Dates (days since 1970-01-01 <-> civil, Hinnant's algorithm) ------- */

static uint32_t civil_from_days(int64_t z)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t y = (int64_t)yoe + era * 400;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    unsigned d = doy - (153 * mp + 2) / 5 + 1;
    unsigned m = mp < 10 ? mp + 3 : mp - 9;
    y += m <= 2;
    return (uint32_t)(y * 10000 + m * 100 + d);
}

static void iso(uint32_t ymd, char out[11])
{
    snprintf(out, 11, "%04u-%02u-%02u", ymd / 10000 % 10000, ymd / 100 % 100, ymd % 100);
}

/* ---- Output ------------------------------------------------------------ */

static void slugify(const char *s, char *out, size_t cap)
{
    size_t n = 0;
    int dash = 0;
    for (; *s && n + 2 < cap; s++) {
        char c = *s;
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
            if (dash && n)
                out[n++] = '-';
            out[n++] = c;
            dash = 0;
        } else {
            dash = 1;
        }
    }
    out[n] = '\0';
}

typedef struct stats {
    uint64_t sentences, text_bytes, tsv_bytes;
    uint32_t files;
} stats;

static const char header[] =
    "council\tstatement\tscore\tpublished\tupdated\tsection\tkind\tid\ttext\n";

static int write_row(FILE *f, stats *st, const char *council, int stmt,
                     int score, const char *pub, const char *upd,
                     const char *section, const char *kind, const char *id,
                     const char *text)
{
    int n = fprintf(f, "%s\t%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\n", council,
                    stmt_names[stmt], score, pub, upd, section, kind, id, text);
    if (n < 0)
        return -1;
    st->sentences++;
    st->text_bytes += strlen(text) + 1;
    st->tsv_bytes += (uint64_t)n;
    return 0;
}

typedef struct opts {
    uint64_t n;
    uint64_t seed;
    const char *out;
    int quiet;
} opts;

static int mkdir_p1(const char *d)
{
    if (mkdir(d, 0777) != 0 && errno != EEXIST)
        return -1;
    return 0;
}

#define FBUF (1 << 16) /* stdio buffer of an output file */

static int generate(const opts *o, const gen *g, stats *st)
{
    const uint32_t ncouncil = (uint32_t)NELEMS(councils);
    const uint32_t nfiles = ncouncil * NSTMT;

    /* Sentences per file: proportional to a per-file weight in 50..150
     * (councils differ in size), total exactly n. */
    uint32_t *w = malloc(nfiles * sizeof *w);
    uint64_t *alloc = malloc(nfiles * sizeof *alloc);
    char *fbuf = malloc(FBUF);
    if (!w || !alloc || !fbuf) {
        free(w);
        free(alloc);
        free(fbuf);
        fprintf(stderr, "gen: out of memory\n");
        return -1;
    }
    rng top;
    rng_seed(&top, o->seed, 0);
    uint64_t W = 0, given = 0;
    for (uint32_t i = 0; i < nfiles; i++) {
        w[i] = 50 + rng_below(&top, 101);
        W += w[i];
    }
    for (uint32_t i = 0; i < nfiles; i++) {
        alloc[i] = (uint64_t)(((unsigned __int128)o->n * w[i]) / W);
        given += alloc[i];
    }
    for (uint32_t i = 0; given < o->n; i = (i + 1) % nfiles, given++)
        alloc[i]++;

    /* Council metadata: publication date 2023-11-01 .. 2025-09-30 (days
     * 19662 .. 20361 since the epoch), an update 0-14 days later or none,
     * and a score per statement (1: 5%, 2: 30%, 3: 57%, 4: 8%). */
    int rc = mkdir_p1(o->out);
    char dir[4096], path[4096 + 256], slug[256], id[512];
    for (uint32_t c = 0; c < ncouncil && rc == 0; c++) {
        rng cr;
        rng_seed(&cr, o->seed, 1 + c);
        int64_t day = 19662 + rng_below(&cr, 700);
        uint32_t pub = civil_from_days(day);
        uint32_t upd = chance(&cr, 600) ? civil_from_days(day + 1 + rng_below(&cr, 14)) : 0;
        char spub[11], supd[11] = "";
        iso(pub, spub);
        if (upd)
            iso(upd, supd);
        slugify(councils[c], slug, sizeof slug);
        snprintf(dir, sizeof dir, "%s/%s", o->out, slug);
        if (mkdir_p1(dir) != 0) {
            fprintf(stderr, "gen: %s: %s\n", dir, strerror(errno));
            rc = -1;
            break;
        }
        for (int s = 0; s < NSTMT && rc == 0; s++) {
            uint32_t fi = c * NSTMT + (uint32_t)s;
            uint32_t u = rng_below(&cr, 100);
            int score = u < 5 ? 1 : u < 35 ? 2 : u < 92 ? 3 : 4;
            char sslug[128];
            slugify(stmt_names[s], sslug, sizeof sslug);
            snprintf(path, sizeof path, "%s/%d-%s.tsv", dir, s + 1, sslug);
            FILE *f = fopen(path, "w");
            if (!f) {
                fprintf(stderr, "gen: %s: %s\n", path, strerror(errno));
                rc = -1;
                break;
            }
            setvbuf(f, fbuf, _IOFBF, FBUF);
            fputs(header, f);
            st->tsv_bytes += sizeof header - 1;

            filectx fc = {.acro_defined = 0, .council = councils[c]};
            rng_seed(&fc.r, o->seed, 1000 + fi);
            uint64_t left = alloc[fi], k = 0;
            for (int e = 0; expectations[s][e] && left && rc == 0; e++, left--) {
                snprintf(id, sizeof id, "%s/%d/%" PRIu64, slug, s + 1, ++k);
                rc = write_row(f, st, councils[c], s, score, spub, supd,
                               "What people expect", "expectation", id,
                               expectations[s][e]);
            }
            for (int e = 0; commitments[s][e] && left && rc == 0; e++, left--) {
                snprintf(id, sizeof id, "%s/%d/%" PRIu64, slug, s + 1, ++k);
                rc = write_row(f, st, councils[c], s, score, spub, supd,
                               "The local authority commitment", "commitment",
                               id, commitments[s][e]);
            }
            int nsub = 0;
            while (nsub < 6 && subheads[s][nsub])
                nsub++;
            uint64_t nfind = left;
            for (uint64_t j = 0; j < nfind && rc == 0; j++) {
                sbuf sb;
                make_finding(g, &fc, &sb);
                snprintf(id, sizeof id, "%s/%d/%" PRIu64, slug, s + 1, ++k);
                /* Findings fall under the sub-headings in order. */
                const char *sec = subheads[s][(int)(j * (uint64_t)nsub / nfind)];
                rc = write_row(f, st, councils[c], s, score, spub, supd, sec,
                               "finding", id, sb.b);
            }
            if (fclose(f) != 0 || rc != 0) {
                fprintf(stderr, "gen: %s: write error\n", path);
                rc = -1;
            }
            st->files++;
        }
    }
    free(w);
    free(alloc);
    free(fbuf);
    return rc;
}

static const struct option longopts[] = {
    {"sentences", required_argument, NULL, 'n'},
    {"seed", required_argument, NULL, 's'},
    {"output", required_argument, NULL, 'o'},
    {"quiet", no_argument, NULL, 'q'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static void usage(FILE *f)
{
    fputs("usage: gen -n N[k|m] [-s SEED] -o DIR [-q]\n"
          "Writes a deterministic synthetic corpus of N finding sentences as\n"
          ".tsv files under DIR (one per council and quality statement) and\n"
          "prints: sentences files text_bytes tsv_bytes seconds.\n"
          "  -n, --sentences N  sentences (suffix k = 1000, m = 1000000)\n"
          "  -s, --seed SEED    seed (default 42)\n"
          "  -o, --output DIR   output directory (created)\n"
          "  -q, --quiet        print nothing on success\n",
          f);
}

/* Parses "1000000", "100k", "5m". */
static int parse_count(const char *s, uint64_t *out)
{
    char *e;
    errno = 0;
    unsigned long long v = strtoull(s, &e, 10);
    if (e == s || errno == ERANGE || s[0] == '-')
        return -1;
    uint64_t mul = 1;
    if (*e == 'k' || *e == 'K')
        mul = 1000, e++;
    else if (*e == 'm' || *e == 'M')
        mul = 1000000, e++;
    if (*e != '\0' || v > UINT64_C(1000000000) / mul)
        return -1;
    *out = v * mul;
    return 0;
}

int main(int argc, char **argv)
{
    opts o = {.n = 0, .seed = 42, .out = NULL, .quiet = 0};
    int c, have_n = 0;
    while ((c = getopt_long(argc, argv, "n:s:o:qh", longopts, NULL)) != -1) {
        switch (c) {
        case 'n':
            if (parse_count(optarg, &o.n) != 0) {
                fprintf(stderr, "gen: bad sentence count '%s'\n", optarg);
                return 2;
            }
            have_n = 1;
            break;
        case 's': {
            char *e;
            errno = 0;
            unsigned long long v = strtoull(optarg, &e, 10);
            if (e == optarg || *e != '\0' || errno == ERANGE || optarg[0] == '-') {
                fprintf(stderr, "gen: bad seed '%s'\n", optarg);
                return 2;
            }
            o.seed = v;
            break;
        }
        case 'o': o.out = optarg; break;
        case 'q': o.quiet = 1; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (!have_n || !o.out || optind != argc) {
        usage(stderr);
        return 2;
    }

    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    gen g;
    memset(&g, 0, sizeof g);
    if (vocab_init(&g.voc) != 0 || zipf_init(&g.zw, g.voc.n, g.voc.nhead) != 0
        || zipf_init(&g.zphrase, NELEMS(phrases), NELEMS(phrases)) != 0
        || zipf_init(&g.zcomp, NELEMS(compounds), NELEMS(compounds)) != 0
        || zipf_init(&g.zacro, NELEMS(acronyms), NELEMS(acronyms)) != 0
        || zipf_init(&g.zopen, NELEMS(openers), NELEMS(openers)) != 0) {
        fprintf(stderr, "gen: out of memory\n");
        return 2;
    }
    stats st = {0};
    int rc = generate(&o, &g, &st);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    if (rc == 0 && !o.quiet)
        printf("sentences %" PRIu64 " files %u text_bytes %" PRIu64
               " tsv_bytes %" PRIu64 " seconds %.2f\n",
               st.sentences, st.files, st.text_bytes, st.tsv_bytes, secs);
    vocab_free(&g.voc);
    zipf_free(&g.zw);
    zipf_free(&g.zphrase);
    zipf_free(&g.zcomp);
    zipf_free(&g.zacro);
    zipf_free(&g.zopen);
    return rc == 0 ? 0 : 2;
}
