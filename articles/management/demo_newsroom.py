"""The demo newspaper's voice: its sections, topics and staff, and a writer of plausible news.

The seed command (commands/seed.py) decides how much to write and loads it; this module decides
what it says. Faker fills pools of names and companies once; every headline, summary, body and
comment is then composed by random choice from these templates, which is fast enough for a
million articles.
"""

import re
from functools import partial

from articles.models import Article

SECTIONS = [
    # name, description, share of the articles
    ("World", "International news: diplomacy, conflict and elections around the globe.", 15),
    ("UK", "News from across England, Scotland, Wales and Northern Ireland.", 15),
    ("Politics", "Westminster, Whitehall and the devolved governments.", 12),
    ("Business", "Markets, companies, the economy and your money.", 12),
    ("Technology", "Software, gadgets, the internet and the companies behind them.", 12),
    ("Science", "Research and discoveries: health, space, climate and the natural world.", 10),
    ("Culture", "Books, film, music, theatre, art and television.", 12),
    ("Sport", "Football, cricket, rugby, tennis and the rest of the sporting world.", 12),
]

TOPICS_BY_SECTION = {
    "world": [
        "Diplomacy", "Conflict", "United Nations", "Refugees", "European Union",
        "United States", "China", "Middle East", "Africa", "Latin America", "Humanitarian aid",
    ],
    "uk": [
        "NHS", "Housing", "Transport", "Policing", "Education", "Immigration", "Weather",
        "Royal family", "Local government", "Cost of living",
    ],
    "politics": [
        "Elections", "Parliament", "Brexit", "Budget", "Labour Party", "Conservative Party",
        "Liberal Democrats", "Scottish independence", "Civil service", "Lobbying",
    ],
    "business": [
        "Interest rates", "Inflation", "Stock markets", "Retail", "Banking", "Energy prices",
        "Jobs", "Start-ups", "Trade", "Pensions",
    ],
    "technology": [
        "Artificial intelligence", "Cybersecurity", "Smartphones", "Social media", "Privacy",
        "Semiconductors", "Open source", "Electric vehicles", "Video games", "Cloud computing",
    ],
    "science": [
        "Climate", "Space", "Health", "Vaccines", "Genetics", "Biodiversity", "Oceans",
        "Physics", "Archaeology", "Mental health",
    ],
    "culture": [
        "Film", "Music", "Books", "Theatre", "Television", "Art", "Festivals", "Fashion",
        "Architecture", "Podcasts",
    ],
    "sport": [
        "Football", "Cricket", "Rugby union", "Tennis", "Formula One", "Athletics", "Olympics",
        "Golf", "Cycling", "Women's sport",
    ],
}  # fmt: skip

ROLES_BY_SECTION = {
    "world": [
        "World affairs editor", "Foreign correspondent", "Washington correspondent",
        "Europe correspondent", "Africa correspondent", "Asia correspondent",
        "Middle East correspondent",
    ],
    "uk": [
        "Home affairs editor", "UK correspondent", "North of England correspondent",
        "Scotland correspondent", "Wales correspondent", "Transport correspondent",
        "Crime reporter",
    ],
    "politics": [
        "Political editor", "Chief political correspondent", "Political correspondent",
        "Parliamentary sketch writer", "Whitehall correspondent", "Political reporter",
        "Deputy political editor",
    ],
    "business": [
        "Business editor", "Economics editor", "Personal finance editor", "Markets reporter",
        "Industry correspondent", "Consumer affairs correspondent", "Business reporter",
    ],
    "technology": [
        "Technology editor", "Technology reporter", "Cybersecurity correspondent",
        "AI correspondent", "Games critic", "Digital culture reporter", "Technology reporter",
    ],
    "science": [
        "Science editor", "Environment correspondent", "Health editor", "Medical correspondent",
        "Space correspondent", "Climate correspondent", "Science reporter",
    ],
    "culture": [
        "Arts editor", "Film critic", "Music critic", "Theatre critic", "Books editor",
        "Television critic", "Culture reporter",
    ],
    "sport": [
        "Sports editor", "Chief sports writer", "Football correspondent", "Cricket correspondent",
        "Rugby correspondent", "Tennis correspondent", "Sports reporter",
    ],
}  # fmt: skip
# Writers who appear in every section, and the share of articles they write.
GENERAL_ROLES = ["Columnist", "Columnist", "Data journalist", "Investigations editor"]
COLUMNIST_SHARE = 0.08
# Where the authors worked before, for their bios.
OUTLETS = [
    "the Midland Courier", "the Harbour Gazette", "Radio Riverside", "the Weekly Ledger",
    "the Morning Lantern", "the Northern Post",
]  # fmt: skip
# The share of an article's topics taken from its own section's; the rest from any section.
OWN_SECTION_TOPIC_SHARE = 0.8

# Headlines by section. {slots} are filled from WORDS or from NewsWriter's generated pools.
HEADLINES = {
    "world": [
        "{country} and {country2} agree ceasefire after weeks of talks",
        "Thousands march in {foreign_city} over {crisis}",
        "{country} election: what the result means for the region",
        "UN warns of {disaster} in {country}",
        "Election in {country}: polls open after a bitter campaign",
        "{country} recalls ambassador as row with {country2} deepens",
        "Floods force {big_number} from their homes in {country}",
        "{country}'s president faces vote of no confidence",
        "Aid convoy reaches {foreign_city} after {number}-day wait",
        "Leaders meet in {foreign_city} as pressure grows over {crisis}",
    ],
    "uk": [
        "{place} residents told to boil water after {utility_problem}",
        "Rail strike: services cancelled across {region}",
        "Hospital waiting list in {region} reaches record {big_number}",
        "Police appeal for witnesses after {crime} in {place}",
        "{place} council approves {big_number} homes on former {site}",
        "Met Office issues {warning_colour} warning for {weather} across {region}",
        "Bus routes in {place} to be cut as funding runs out",
        "NHS in {region}: waiting times rise again",
        "Family of {person} call for inquiry into {place} hospital",
        "Historic {building} in {place} to reopen after {money} restoration",
    ],
    "politics": [
        "{minister} under pressure over {policy_area} plans",
        "MPs back {bill} after marathon debate",
        "{party} sets out plans to {pledge}",
        "{party} holds {place} seat with reduced majority",
        "{minister} promises {money} for {policy_area}",
        "Backbench revolt over {bill} grows",
        "Poll puts {party} {number} points ahead",
        "{minister} apologises after row over {scandal}",
        "Lords defeat government on {bill}",
        "General election: {party} launches its campaign in {place}",
        "Analysis: why {policy_area} could decide the next election",
    ],
    "business": [
        "Bank of England holds interest rates at {interest_rate}%",
        "Inflation falls to {percent}% as food prices ease",
        "{company} to cut {big_number} jobs in restructuring",
        "{company} profits jump {percent}% on strong demand",
        "FTSE 100 closes at record high as {sector} shares rally",
        "House prices rise {percent}% in a year, says {lender}",
        "{company} agrees {money} takeover of {company2}",
        "Energy bills to fall by £{number}0 a year from {month}",
        "Small firms warn of {business_worry}",
        "Inflation: what higher prices mean for {affected_group}",
        "{company} chief executive steps down after {few_more} years",
    ],
    "technology": [
        "{tech_company} unveils {gadget} with {gadget_feature}",
        "{tech_company} fined {money} over data breach",
        "Why {tech_challenge} is harder than it looks",
        "AI chatbots to be tested in {institution_plural}",
        "Hackers target {institution} in ransomware attack",
        "{tech_company} to open {big_number}-job hub in {place}",
        "AI can now {ai_feat}, researchers say",
        "Review: the {gadget} that wants to replace your {old_device}",
        "Regulator opens inquiry into {tech_company}'s app store",
        "{number} million accounts exposed in {tech_company} leak",
        "{startup} raises {money} to build {tech_product}",
    ],
    "science": [
        "Scientists discover {discovery} in {natural_place}",
        "New study links {habit} to {condition}",
        "{space_agency} probe sends back first images of {celestial}",
        "Record temperatures recorded across {world_region}",
        "Trial of new {treatment} shows promise against {condition}",
        "Rare {animal} spotted in {place} for first time in {number} years",
        "Researchers sequence the genome of {organism}",
        "Sea levels rising faster than expected, study finds",
        "Climate change: {world_region} braces for its hottest summer on record",
        "Ancient {artefact} unearthed near {place}",
        "Why {science_question}?",
    ],
    "culture": [
        "{person}'s new novel is a {review_adjective} {book_genre}",
        "Review: {title} is {review_verdict}",
        "{festival} line-up announced with {person} headlining",
        "{person} wins {prize}",
        "Film review: {title}, starring {person}",
        "{gallery} to show {number} rarely seen works by {person}",
        "Theatre review: {title} at the {theatre}",
        "Streaming drama {title} renewed for a second series",
        "Festival season: {festival} sells out in hours",
        "The {list_length} best albums of {past_year}",
        "Interview: {person} on fame, failure and {life_theme}",
    ],
    "sport": [
        "{team} beat {team2} {score} to go top",
        "{team} sack manager after {few_more} defeats in a row",
        "{team} and {team2} draw {draw_score} in {match_kind}",
        "England name {squad_size}-man squad for {tournament}",
        "{person} wins the {place} Open in straight sets",
        "{person} signs new {few}-year deal with {team}",
        "Cricket: {cricket_country} set England {target} to win",
        "Rugby: {place} stun {place2} with late try",
        "{person} breaks British record in {athletics_event}",
        "Transfer news: {team} close in on {money} striker",
        "Football: {team} knocked out of the cup by {team2}",
    ],
}

# Now and then a headline leads with one of the article's topics instead.
TOPIC_HEADLINES = [
    "{topic}: what we know so far",
    "{topic}: five questions answered",
    "{topic}: the view from {place}",
    "The week in review: {topic}",
]
TOPIC_HEADLINE_SHARE = 0.1

SUMMARIES = [
    "{person}, {role_phrase}, says the decision will {consequence}.",
    "The move follows months of {process} and has divided opinion in {place}.",
    "Critics say the plans do not go far enough; supporters call them {assessment}.",
    "It is the first time this has happened since {past_year}.",
    "Officials say more details will be published {when}.",
    "{affected_group} could be among the first to feel the effects.",
    "The Daily Cache has learned that {leak}.",
    "Here is what we know so far, and what happens next.",
    "{organisation} says the figures are {expectation}.",
    "{welcomers} welcomed the news, but {critics} warned it came too late.",
    "The announcement came after {number} days of {process}.",
    "Our correspondent reports from {place}.",
]

# Sentences for every section's bodies...
SENTENCES = [
    "{person}, {role_phrase}, said: “{quote_line}.”",
    "“{quote_line},” said {person}, {role_phrase}.",
    "Figures published on {weekday} showed that {statistic} had {trend} by {percent}% in a year.",
    "{organisation} said it was reviewing the findings and would respond {when}.",
    "Campaigners in {place} have argued for years that {argument}.",
    "Officials insist that {insistence}.",
    "It is not yet clear how {affected_group} will be affected.",
    "A spokesperson for {company} declined to comment.",
    "Speaking to the Daily Cache, {person}, {job_phrase} from {place}, said {reaction}.",
    "The changes are expected to take effect from {month}.",
    "More than {big_number} people have signed a petition calling for {petition_goal}.",
    "Analysts at {company} said the outcome was {expectation}.",
    "The report, which runs to {page_count} pages, makes {number} recommendations.",
    "Others were more cautious.",
    "That view is not universally shared.",
    "There are, however, signs of {change}.",
    "The decision was welcomed by {welcomers}, but {critics} said it came too late.",
    "{person} first raised concerns in {past_year}, but was told nothing could be done.",
    "The cost of the scheme has been put at {money}.",
    "In {place}, the mood was {mood}.",
    "Talks are due to resume {when}.",
    "The full findings will be published {when}.",
    "{organisation} has called for an independent review.",
    "Critics point out that similar promises were made in {past_year}.",
    "For {affected_group}, the stakes could hardly be higher.",
    "The Daily Cache understands that {leak}.",
    "{person} did not respond to a request for comment.",
    "Few expect a quick resolution.",
    "The numbers tell only part of the story.",
    "The full report is [available online](https://example.com/reports/{past_year}-review).",
    "Read [our earlier coverage](/search/?q={search_term}) for the background.",
]
# ...and sentences only a section's bodies use, so its articles are about something.
SECTION_SENTENCES = {
    "world": [
        "The {country} foreign ministry said it “deeply regretted” the decision.",
        "Diplomats in {foreign_city} described the talks as {talks_tone}.",
        "Aid agencies say {big_number} people need emergency help.",
        "The UN Security Council is expected to meet {when}.",
        "Elections in {country} are due in {month}.",
    ],
    "uk": [
        "The council said it had been forced to make “difficult choices” after years of cuts.",
        "Police in {place} are appealing for witnesses.",
        "Passengers between {place} and {place2} face disruption until {month}.",
        "The local MP, {person}, said the news was {mood}.",
        "The hospital trust said waiting times were beginning to improve.",
    ],
    "politics": [
        "The {minister} told MPs that {insistence}.",
        "Downing Street said the prime minister had “full confidence” in the {minister}.",
        "The vote passed by a majority of {number}.",
        "Opposition MPs accused the government of {accusation}.",
        "Polls suggest voters are {voter_mood}.",
    ],
    "business": [
        "Shares in {company} rose {percent}% in early trading.",
        "The Bank of England's next rate decision is due in {month}.",
        "The company employs {big_number} people across the UK.",
        "Economists had expected inflation of {percent}%.",
        "Retailers reported {trading_verdict} trading over the period.",
    ],
    "technology": [
        "{tech_company} said the feature would roll out {when}.",
        "Security researchers first reported the flaw in {month}.",
        "The app has been downloaded more than {big_number} times.",
        "Privacy campaigners warned that {privacy_concern}.",
        "The technology is still at an early stage.",
    ],
    "science": [
        "The findings were published in the journal {journal}.",
        "The study followed {big_number} volunteers for {number} years.",
        "Researchers stressed that {caveat}.",
        "The team now hopes to {next_step}.",
        "The work was funded by {funder}.",
    ],
    "culture": [
        "The production runs until {month}.",
        "It is {person}'s first {work} in {number} years.",
        "Tickets went on sale on {weekday} and sold out within hours.",
        "Critics have been divided.",
        "The exhibition opens in {month} and tours to {place} next year.",
    ],
    "sport": [
        "{person} scored twice in the second half.",
        "The result leaves {team} {number} points clear at the top.",
        "A crowd of {big_number} watched the match.",
        "{team} play {team2} next {weekday}.",
        "The manager said his side had been “second best for an hour”.",
    ],
}

# Who someone quoted is, after their name.
ROLE_PHRASES = [
    "a professor at the University of {place}",
    "chief executive of {company}",
    "a local councillor",
    "a spokesperson for {company}",
    "who chairs the {place} residents' association",
    "an economist at {company}",
    "a former adviser to the {minister}",
]

# Without a final full stop: the templates punctuate them, British style.
QUOTE_LINES = [
    "We have to get this right, and we will",
    "Nobody wants to see this happen again",
    "This is a good day for the people of {place}",
    "The numbers speak for themselves",
    "It has been an incredibly difficult few months",
    "We are listening, and we will act",
    "I have never seen anything like it",
    "There is no quick fix here",
    "Frankly, it is not good enough",
    "People deserve honest answers",
    "This changes everything for us",
    "We were not consulted, and that is the problem",
    "It is a step in the right direction, but only a step",
    "The work starts now",
    "I think history will judge this decision kindly",
]

SUBHEADINGS = [
    "What happens next", "The background", "Why it matters", "What the numbers say",
    "Reaction", "A long road", "The view from {place}", "Who is affected", "What critics say",
    "The bigger picture", "Behind the scenes", "How we got here",
]  # fmt: skip

COMMENT_LINES = [
    "Great piece, thanks.",
    "This is exactly what I've been saying for years.",
    "Does anyone actually believe this?",
    "Sensible analysis for once.",
    "I live in {place} and can confirm all of this.",
    "The headline is a bit misleading. Read the whole thing.",
    "Who is going to pay for all this?",
    "Well written and balanced.",
    "Not convinced.",
    "Finally, some good news.",
    "I'll believe it when I see it.",
    "My sister is {job_phrase} and says the same.",
    "The same thing happened in {place} a few years ago.",
    "Can we have a follow-up on this, please?",
    "Why is nobody talking about {affected_group}?",
    "Spot on.",
    "Typo in the fourth paragraph, by the way.",
    "This won't age well.",
    "We were promised this in {past_year}.",
    "Honestly, what did anyone expect?",
    "As someone who grew up in {place}, this hits home.",
    "The numbers don't add up.",
    "Long overdue.",
    "I disagree with almost all of this, but it's well argued.",
    "Thank you for explaining this so clearly.",
]

WORDS = {
    "country": [
        "France", "Germany", "Italy", "Spain", "Poland", "Ukraine", "Turkey", "Egypt", "Kenya",
        "Nigeria", "South Africa", "Ethiopia", "India", "Pakistan", "Bangladesh", "Japan",
        "South Korea", "Indonesia", "Australia", "New Zealand", "Brazil", "Argentina", "Chile",
        "Mexico", "Canada", "Norway", "Sweden", "Greece", "Portugal", "Ireland", "Morocco",
        "Vietnam", "the Philippines", "Peru", "Colombia",
    ],
    "foreign_city": [
        "Washington", "Brussels", "Paris", "Berlin", "Geneva", "Rome", "Madrid", "Warsaw",
        "Kyiv", "Istanbul", "Cairo", "Nairobi", "Lagos", "Delhi", "Tokyo", "Seoul", "Jakarta",
        "Sydney", "São Paulo", "Buenos Aires", "Mexico City", "Ottawa", "Athens", "Lisbon",
    ],
    "place": [
        "Manchester", "Birmingham", "Leeds", "Glasgow", "Edinburgh", "Cardiff", "Belfast",
        "Bristol", "Liverpool", "Newcastle", "Sheffield", "Nottingham", "Leicester", "Norwich",
        "Plymouth", "Exeter", "York", "Hull", "Swansea", "Aberdeen", "Dundee", "Derry",
        "Brighton", "Southampton", "Portsmouth", "Oxford", "Cambridge", "Bath", "Carlisle",
        "Lincoln", "Ipswich", "Stoke", "Wolverhampton", "Sunderland", "Inverness", "Bangor",
    ],
    "region": [
        "the north-west", "the north-east", "the Midlands", "the south-west", "East Anglia",
        "Yorkshire", "Scotland", "Wales", "Northern Ireland", "the south-east", "Cornwall",
    ],
    "minister": [
        "Health Secretary", "Home Secretary", "Chancellor", "Education Secretary",
        "Foreign Secretary", "Business Secretary", "Transport Secretary", "Justice Secretary",
        "Housing Secretary", "Energy Secretary",
    ],
    "party": [
        "Labour", "the Conservative Party", "the SNP", "the Green Party", "Reform UK",
        "Plaid Cymru",
    ],
    "bill": [
        "the housing bill", "the planning bill", "the online safety bill",
        "the employment rights bill", "the water bill", "the renters' bill", "the rail bill",
    ],
    "policy_area": [
        "social care", "housing", "school funding", "defence spending", "welfare", "net zero",
        "immigration", "prisons", "the NHS", "childcare",
    ],
    "pledge": [
        "scrap tuition fees", "build 300,000 homes a year", "cut income tax",
        "bring the railways into public ownership", "raise the minimum wage",
        "lower the voting age to 16", "recruit 10,000 teachers",
    ],
    "scandal": ["expenses", "a leaked memo", "lobbying", "a second job", "contracts", "donations"],
    "crisis": [
        "rising food prices", "a corruption scandal", "border tensions", "a constitutional row",
        "mounting debt", "fuel shortages", "election delays", "press freedom",
    ],
    "disaster": ["famine", "a cholera outbreak", "a humanitarian catastrophe", "severe drought"],
    "talks_tone": ["constructive", "difficult", "frank", "tense", "the most productive in years"],
    "utility_problem": ["a burst main", "contamination", "a treatment works failure"],
    "crime": [
        "a jewellery shop raid", "a stabbing", "a hit-and-run", "a spate of burglaries",
        "an arson attack",
    ],
    "site": ["factory", "airfield", "hospital", "gasworks", "railway yard", "army barracks"],
    "warning_colour": ["yellow", "amber"],
    "weather": ["snow and ice", "heavy rain", "strong winds", "fog", "thunderstorms"],
    "building": ["lido", "pier", "theatre", "library", "town hall", "market hall", "cinema"],
    "interest_rate": ["3.75", "4", "4.25", "4.5", "4.75", "5", "5.25"],
    "sector": ["mining", "banking", "housebuilding", "energy", "retail", "airline"],
    "lender": ["Harbour Bank", "the Northern Building Society", "Lantern Finance"],
    "business_worry": [
        "rising costs", "late payments", "a skills shortage", "new red tape",
        "higher business rates",
    ],
    "tech_company": [
        "Nimbus", "Quantix", "Orbital Labs", "Brightline", "Hexagon Systems", "Pixelforge",
        "Kestrel AI", "Lumen", "Parallax", "Northwind Software",
    ],
    "startup": ["Tidewell", "Quillo", "Fernbank", "Lattice", "Mothwing", "Cobalt Works"],
    "gadget": [
        "folding phone", "smart glasses", "headset", "tablet", "smartwatch", "e-reader",
        "laptop",
    ],
    "gadget_feature": [
        "a week-long battery", "a built-in assistant", "satellite messaging",
        "a 200-megapixel camera", "a repairable design",
    ],
    "old_device": ["laptop", "television", "car keys", "wallet", "notebook"],
    "tech_challenge": [
        "building a self-driving car", "quantum computing", "regulating AI",
        "getting rid of passwords", "fixing rural broadband",
    ],
    "tech_product": [
        "cheaper batteries", "a search engine for lawyers", "drones that plant trees",
        "an app for renters", "greener data centres",
    ],
    "institution_plural": ["hospitals", "schools", "GP surgeries", "job centres"],
    "institution": [
        "a hospital trust", "a university", "a city council", "a water company",
        "a school chain",
    ],
    "ai_feat": [
        "read handwriting from the 1600s", "predict floods a week ahead",
        "spot some cancers earlier than doctors", "write working code from a sketch",
    ],
    "privacy_concern": [
        "the data could be shared with advertisers", "users had not been asked for consent",
        "the cameras record passers-by",
    ],
    "discovery": [
        "a new species of frog", "a lost river", "microplastics", "a giant crater",
        "dinosaur footprints", "a hidden chamber",
    ],
    "natural_place": [
        "the Amazon", "the Antarctic ice", "the Pacific Ocean", "a Welsh cave",
        "the Scottish Highlands", "the deep sea",
    ],
    "habit": ["poor sleep", "ultra-processed food", "daily walking", "screen time", "loneliness"],
    "condition": [
        "heart disease", "dementia", "type 2 diabetes", "depression", "asthma", "some cancers",
    ],
    "space_agency": ["Nasa", "Esa", "The UK Space Agency", "Jaxa"],
    "celestial": [
        "Jupiter's moon Europa", "a distant comet", "the far side of the Moon",
        "Mars's polar ice", "a near-Earth asteroid",
    ],
    "world_region": [
        "southern Europe", "India and Pakistan", "the Arctic", "Australia",
        "the Mediterranean",
    ],
    "treatment": ["vaccine", "gene therapy", "drug", "blood test", "implant"],
    "animal": ["beaver", "white-tailed eagle", "pine marten", "otter", "wildcat", "bittern"],
    "organism": [
        "the oak tree", "the honeybee", "the axolotl", "a deep-sea squid", "bread wheat",
    ],
    "artefact": [
        "Roman coin hoard", "Bronze Age sword", "Viking brooch", "Saxon burial",
        "medieval shoe",
    ],
    "science_question": [
        "do we dream", "are bees disappearing", "is the Moon drifting away", "do cats purr",
        "is the ocean getting louder",
    ],
    "journal": ["Nature", "Science", "The Lancet", "Cell", "the BMJ"],
    "caveat": [
        "the sample was small", "more work is needed", "the link may not be causal",
        "the results have yet to be replicated",
    ],
    "next_step": [
        "run a larger trial", "return to the site next summer", "test the idea in hospitals",
        "publish the full data set",
    ],
    "funder": [
        "the Wellcome Trust", "UK Research and Innovation", "a private foundation",
        "the European Research Council",
    ],
    "review_adjective": ["gripping", "dazzling", "tender", "bleak but brilliant", "uneven"],
    "review_verdict": [
        "a triumph", "a misfire", "worth the wait", "overlong but moving", "pure joy",
    ],
    "book_genre": ["thriller", "family saga", "love story", "mystery", "satire"],
    "title_adjective": [
        "Silent", "Last", "Broken", "Golden", "Hidden", "Northern", "Quiet", "Burning",
        "Distant", "Borrowed",
    ],
    "title_noun": [
        "Harbour", "Light", "Summer", "Garden", "Winter", "Kingdom", "River", "Orchard",
        "Country", "Hours",
    ],
    "festival": ["Riverside Festival", "Green Meadows", "Harbourfest", "Northern Lights"],
    "prize": [
        "the Booker prize", "the Mercury prize", "a Bafta", "the Turner prize",
        "an Olivier award",
    ],
    "gallery": ["The Riverside Gallery", "The Harbour Museum", "The Northern Gallery of Art"],
    "theatre": ["Kingsway Playhouse", "Corn Exchange", "Lyceum", "Riverside Studios"],
    "life_theme": ["family", "getting older", "second chances", "staying true to yourself"],
    "work": ["novel", "film", "album", "play", "tour"],
    "team_suffix": ["United", "City", "Rovers", "Athletic", "Town", "Wanderers", "Albion"],
    "score": ["1-0", "2-1", "3-1", "2-0", "3-2", "4-1"],
    "draw_score": ["0-0", "1-1", "2-2", "3-3"],
    "match_kind": ["a tense derby", "a dramatic derby", "the cup", "a scrappy encounter"],
    "tournament": [
        "the World Cup", "the European Championship", "the autumn internationals",
        "the Ashes", "the Nations League",
    ],
    "cricket_country": [
        "Australia", "India", "South Africa", "New Zealand", "Pakistan", "West Indies",
    ],
    "athletics_event": ["the 800m", "the 10,000m", "the long jump", "the marathon", "the 200m"],
    "month": [
        "January", "February", "March", "April", "May", "June", "July", "August", "September",
        "October", "November", "December",
    ],
    "weekday": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"],
    "when": [
        "next month", "later this year", "in the spring", "within weeks", "after the summer",
        "next week",
    ],
    "consequence": [
        "save money in the long run", "cost thousands of jobs", "make life harder for families",
        "help small firms", "take years to pay off", "change how millions of people travel",
    ],
    "process": [
        "negotiation", "speculation", "legal wrangling", "consultation", "public pressure",
    ],
    "assessment": ["a sensible first step", "long overdue", "a bold gamble", "a welcome change"],
    "affected_group": [
        "families on low incomes", "small businesses", "commuters", "pensioners", "students",
        "patients in rural areas", "first-time buyers",
    ],
    "leak": [
        "ministers were warned about the problem months ago", "a deal is close",
        "several senior figures have threatened to resign",
        "the plans have been delayed until next year",
    ],
    "organisation": [
        "the Office for National Statistics", "the Local Government Association",
        "the Institute for Fiscal Studies", "the regulator", "the union", "the council",
    ],
    "expectation": [
        "broadly in line with expectations", "worse than feared", "a pleasant surprise",
        "hard to read",
    ],
    "welcomers": ["business groups", "campaigners", "local residents", "unions", "patients"],
    "critics": [
        "opposition parties", "some economists", "residents", "the union",
        "environmental groups",
    ],
    "statistic": [
        "average rents", "the number of people waiting for treatment", "unemployment",
        "energy use", "the number of cyclists", "reported crime",
    ],
    "trend": ["risen", "fallen", "edged up", "dropped sharply", "climbed"],
    "argument": [
        "the town has been overlooked for decades", "the money would be better spent elsewhere",
        "the rules are simply not enforced", "local people were never properly consulted",
    ],
    "insistence": [
        "the timetable is still achievable", "the money is already in place",
        "there is no cause for alarm", "lessons have been learned",
    ],
    "reaction": [
        "the news had come as a shock", "it was about time",
        "people locally were cautiously optimistic", "nobody would believe it until they saw it",
        "everyone in the street was worried",
    ],
    "petition_goal": [
        "a public inquiry", "the decision to be reversed", "the library to stay open",
        "a new crossing outside the school", "the plans to be scrapped",
    ],
    "change": [
        "a change of heart", "a recovery", "growing impatience", "progress",
        "fatigue among voters",
    ],
    "mood": ["defiant", "subdued", "quietly hopeful", "angry", "festive"],
    "accusation": [
        "making it up as it goes along", "hiding the true cost", "ignoring the warnings",
        "breaking its own promises",
    ],
    "voter_mood": [
        "unconvinced", "split down the middle", "losing patience", "warming to the idea",
    ],
    "trading_verdict": ["strong", "disappointing", "mixed", "better than expected"],
    "search_term": ["inflation", "housing", "climate", "elections", "transport", "schools"],
}  # fmt: skip

SLOT_PATTERN = re.compile(r"\{(\w+)\}")


class NewsWriter:
    """Writes headlines, summaries, bodies and comments from pools generated once at the start.

    A Faker call costs tens of microseconds, so Faker only fills the pools (names, companies,
    jobs); an article is then a few dozen random choices and string joins.
    """

    PARAGRAPHS_PER_SECTION = 2_500
    # The chance that a paragraph has a sentence only its section uses.
    SECTION_SENTENCE_SHARE = 0.6
    EMPHASIS_SHARE = 0.04
    SUMMARY_POOL_SIZE = 3_000
    QUOTE_POOL_SIZE = 500
    COMMENT_POOL_SIZE = 3_000
    MAX_SUMMARY_LENGTH = Article._meta.get_field("summary").max_length

    def __init__(self, rng, fake):
        self.rng = rng
        self.first_names = [fake.first_name() for _ in range(400)]
        self.last_names = [fake.last_name() for _ in range(400)]
        companies = [fake.company() for _ in range(200)]
        # Faker has jobs such as "Horticulturist, amenity"; keep the ones that read in a sentence.
        jobs = [job.lower() for job in (fake.job() for _ in range(300)) if job.isascii()]
        jobs = [job for job in jobs if not any(mark in job for mark in ",/(")]
        job_phrases = [f"{'an' if job[0] in 'aeiou' else 'a'} {job}" for job in jobs]
        team_names = [f"{place} {rng.choice(WORDS['team_suffix'])}" for place in WORDS["place"]]
        self.slots = {name: partial(rng.choice, words) for name, words in WORDS.items()}
        self.slots.update(
            person=self.full_name,
            company=partial(rng.choice, companies),
            job_phrase=partial(rng.choice, job_phrases),
            role_phrase=lambda: self.fill(rng.choice(ROLE_PHRASES)),
            quote_line=lambda: self.sentence(rng.choice(QUOTE_LINES)),
            team=partial(rng.choice, team_names),
            title=lambda: f"{self.slots['title_adjective']()} {self.slots['title_noun']()}",
            number=partial(rng.randint, 2, 40),
            few=partial(rng.randint, 2, 5),
            few_more=partial(rng.randint, 3, 9),
            squad_size=partial(rng.randint, 23, 36),
            list_length=partial(rng.choice, [10, 20, 25, 50]),
            big_number=lambda: f"{rng.randint(12, 900) * 100:,}",
            target=partial(rng.randint, 180, 420),
            page_count=partial(rng.randint, 40, 400),
            percent=lambda: f"{rng.uniform(0.5, 40):.1f}",
            money=self.money,
            past_year=partial(rng.randint, 1975, 2023),
        )
        # A second, independent value for templates that name two of a kind.
        for name in ["country", "company", "place", "team"]:
            self.slots[f"{name}2"] = self.slots[name]

        self.summaries = self.pool(SUMMARIES, self.SUMMARY_POOL_SIZE)
        self.paragraphs = {
            slug: [self.paragraph(slug) for _ in range(self.PARAGRAPHS_PER_SECTION)]
            for slug in HEADLINES
        }
        self.quotes = [
            self.fill("> “{quote_line}.”\n>\n> — {person}, {role_phrase}")
            for _ in range(self.QUOTE_POOL_SIZE)
        ]
        self.subheadings = self.pool(SUBHEADINGS, 100)
        self.comments = [
            " ".join(self.sentence(line) for line in rng.sample(COMMENT_LINES, rng.randint(1, 3)))
            for _ in range(self.COMMENT_POOL_SIZE)
        ]

    def fill(self, template, **given):
        """The template with each {slot} replaced by a fresh random value, or by `given`."""

        def value(match):
            name = match[1]
            return str(given[name] if name in given else self.slots[name]())

        return SLOT_PATTERN.sub(value, template)

    def sentence(self, template, **given):
        """The filled template with a capital letter, whatever its first slot gave."""
        text = self.fill(template, **given)
        return text[0].upper() + text[1:]

    def pool(self, templates, size):
        return [self.sentence(self.rng.choice(templates)) for _ in range(size)]

    def paragraph(self, section_slug):
        """One to three sentences, as news paragraphs go; maybe one of them the section's own."""
        rng = self.rng
        templates = rng.sample(SENTENCES, rng.randint(1, 3))
        if rng.random() < self.SECTION_SENTENCE_SHARE:
            templates[rng.randrange(len(templates))] = rng.choice(SECTION_SENTENCES[section_slug])
        sentences = [self.sentence(template) for template in templates]
        if rng.random() < self.EMPHASIS_SHARE:
            index = rng.randrange(len(sentences))
            sentences[index] = self.emphasise(sentences[index])
        return " ".join(sentences)

    def full_name(self):
        return f"{self.rng.choice(self.first_names)} {self.rng.choice(self.last_names)}"

    def money(self):
        if self.rng.random() < 0.3:
            return f"£{self.rng.randint(11, 99) / 10:.1f}bn"
        return f"£{self.rng.randint(2, 900)}m"

    def emphasise(self, sentence):
        """Put one longer word of a plain sentence in *italics*, as a writer sometimes does."""
        if "[" in sentence:
            return sentence
        words = sentence.split(" ")
        candidates = [
            index
            for index, word in enumerate(words)
            if index > 0 and word.isalpha() and len(word) > 5
        ]
        if not candidates:
            return sentence
        index = self.rng.choice(candidates)
        words[index] = f"*{words[index]}*"
        return " ".join(words)

    def headline(self, section_slug, topic_name):
        if self.rng.random() < TOPIC_HEADLINE_SHARE:
            return self.sentence(self.rng.choice(TOPIC_HEADLINES), topic=topic_name)
        return self.sentence(self.rng.choice(HEADLINES[section_slug]))

    def summary(self):
        first = self.rng.choice(self.summaries)
        if self.rng.random() < 0.5:
            second = self.rng.choice(self.summaries)
            if len(first) + 1 + len(second) <= self.MAX_SUMMARY_LENGTH:
                return f"{first} {second}"
        return first[: self.MAX_SUMMARY_LENGTH]

    def body(self, section_slug):
        """Markdown: 4 to 8 paragraphs, sometimes a ## subheading and sometimes a > quote."""
        rng = self.rng
        paragraphs = rng.sample(self.paragraphs[section_slug], rng.randint(4, 8))
        if rng.random() < 0.35:
            paragraphs.insert(rng.randint(1, len(paragraphs) - 1), rng.choice(self.quotes))
        if rng.random() < 0.4:
            paragraphs.insert(
                rng.randint(2, len(paragraphs) - 1), f"## {rng.choice(self.subheadings)}"
            )
        return "\n\n".join(paragraphs)

    def comment(self):
        return self.rng.choice(self.comments)
