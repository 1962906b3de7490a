"""Triage: the red-flag suite (CI fails on any miss) and the guide's hard cases."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from bot.core import CATEGORIES, URGENCIES, Engine, Entry, classify, load_lexicon

RED_FLAGS_ZH = [
    "我奶奶摔倒了起不来",
    "老伴摔到了，爬不起来",  # homophone slip 摔到
    "我爸叫不醒了",
    "邻居倒在楼道里没反应",
    "我妈喘不上气，嘴唇发紫",
    "老公胸口疼得厉害，出冷汗",
    "爷爷突然说话不清，嘴歪了",
    "孩子手割破了流血不止",
    "孩子误服了农药",
    "厨房着火了！",
    "楼道里全是浓烟",
    "好像有煤气味",  # uncertainty does not lower it
    "家里有股没气味",  # homophone slip 没气/煤气
    "電梯壞了，我被困在裡面",  # traditional characters
    "插座冒火花还有焦糊味",
    "我家孩子不见了，找了半小时",
    "有人拿刀在楼下砍人",
    "救命",
    "独居的王奶奶三天没出门，敲门没人应",
    "卫生间漏水，水流到插座那边了",
    "ＧＡＳ味很大",  # full-width letters fold to ASCII
    "楼上有人在打老婆，一直喊救命",
    "我妈说她不想活了，一个人在阳台上",  # self-harm
    "邻居小伙子说要跳楼",
]
RED_FLAGS_EN = [
    "my grandma fell and can't get up",
    "Dad collapsed and is not responding",
    "my husband is not breathing",
    "Mum has crushing chest pain",
    "her face is drooping and her speech is slurred",
    "lots of blood, he cut his arm badly",
    "my son swallowed a battery",
    "FIRE IN THE KITCHEN!!!",
    "smoke coming from the flat next door",
    "I think I smell gas in the hallway",
    "we are trapped in the lift",
    "sparks and a burning smell from the socket",
    "my 6 year old is missing, can't find him anywhere",
    "someone is breaking in to my flat right now",
    "help me please",
    "my neighbour hasn't answered the door for 3 days",
    "water flooding near the fuse box",
    "fell in the shower 🚿 cant get up 😭",
    "no gas smell now but it was strong an hour ago",
    "my mother took too many pills, overdose",
    "my friend says she wants to kill herself tonight",  # self-harm
    "a man is threatening to jump from the roof of building 4",
]


@pytest.mark.parametrize("text", RED_FLAGS_ZH + RED_FLAGS_EN)
def test_red_flag_is_an_emergency(text: str) -> None:
    verdict = classify(text)
    assert verdict.urgency == "emergency", (text, verdict)


@pytest.mark.parametrize(
    "text, urgency, category",
    [
        # negation and past lower only when the danger is clearly over or absent
        ("火已经灭了，但是楼道墙被熏黑了", "routine", "sanitation"),
        ("Not urgent, the light in the corridor is out", "routine", "infrastructure"),
        ("前天走丢的那个孩子已经找到了", "info", "security"),
        ("The gas supply is off since this morning. No smell.", "urgent", "gas"),
        # a vulnerable person raises the level
        ("家里停水了", "urgent", "water"),
        ("The heating is a bit weak", "routine", "heating"),
        ("The heating is a bit weak and my mother is 88", "urgent", "heating"),
        # on behalf of someone else counts the same
        ("My neighbour Granny Li hasn't opened her door for two days", "emergency", "care"),
        ("隔壁老人摔倒了起不来", "emergency", "medical"),
        # info
        ("谢谢你们的志愿者", "info", "admin"),
        ("我很好", "info", "care"),
        ("fine thanks", "info", "care"),
        ("What time does the office open on Monday?", "info", "admin"),
        # routine
        ("楼下有人乱停车，挡住了我的车位", "routine", "dispute"),
        ("There is a pothole near the gate", "routine", "infrastructure"),
    ],
)
def test_guide_hard_cases(text: str, urgency: str, category: str) -> None:
    verdict = classify(text)
    assert (verdict.urgency, verdict.category) == (urgency, category), (text, verdict)


# Sentences written for this suite, none from the dev set: each exercises one rule (a scoped
# "over", a still-growing leak, a question about an announced outage, a how-to question, a need
# for today, a chronic condition, wiring vs fire, devices that do not respond, the danger-word
# floor). Written before the rules were tuned, they also estimated how far the dev score carries.
BEYOND_DEV = [
        ('我奶奶在卫生间滑了一下，没摔伤，就是地漏堵了老积水', 'routine', 'sanitation'),
        ('My son slipped on the broken stair, not hurt, but the step needs fixing', 'routine', 'infrastructure'),
        ('火灭了但是还在冒烟', 'emergency', 'fire'),
        ('The fire was out quickly but the stairwell walls are covered in soot', 'routine', 'sanitation'),
        ('楼道灯修好了，谢谢师傅', 'info', 'admin'),
        ('The neighbours stopped the party and apologised, no need to come', 'info', 'dispute'),
        ('卫生间天花板的水渍越来越大 不急但是在往下滴', 'urgent', 'water'),
        ('有人抢了我的包 往东门跑了', 'emergency', 'security'),
        ("Someone snatched an old lady's purse and ran off towards the market", 'emergency', 'security'),
        ('听说下周三计划停气，是几点开始？', 'info', 'gas'),
        ('Is the water going to be shut off on Friday for the pipe works?', 'info', 'water'),
        ('The notice says the power will be cut tomorrow morning, how long will it be off?', 'info', 'power'),
        ('No heating since yesterday, is it planned?', 'urgent', 'heating'),
        ('请问旧家具放哪，有固定时间收吗？', 'info', 'sanitation'),
        ('How do I apply for the elderly meal subsidy?', 'info', 'admin'),
        ('居住证明怎么办理？需要带什么？', 'info', 'admin'),
        ('楼上天天半夜吵，今天能不能派人来说说', 'urgent', 'dispute'),
        ('I need the residence certificate today, the school closes at 5. Could someone sign it?', 'urgent', 'admin'),
        ('不着急，我爸的降压药快吃完了，下周能帮忙开点吗', 'routine', 'medical'),
        ('No rush, my 90 year old mum would like a volunteer to visit for a chat', 'routine', 'care'),
        ('我妈八十多了，家里停水一上午了', 'urgent', 'water'),
        ('我腿上还打着石膏，家里没吃的了，能帮忙买点菜吗', 'urgent', 'care'),
        ("My husband is recovering from a hip operation and we can't get our shopping, nothing in the fridge", 'urgent', 'care'),
        ('插座冒火花 墙里有焦味', 'emergency', 'power'),
        ('The light switch in the hall sparks and smells burnt', 'emergency', 'power'),
        ('屋里着火了 电线在烧', 'emergency', 'fire'),
        ('The breaker tripped again and half the flat has no power', 'urgent', 'power'),
        ('Grandpa tripped over the kerb yesterday, he is fine, but the kerb is broken', 'routine', 'infrastructure'),
        ('门禁刷卡没反应 进不去楼', 'routine', 'infrastructure'),
        ('叫了半天没反应 我妈倒在床边', 'emergency', 'medical'),
        ('电梯晃得厉害还有异响，大家都不敢坐', 'urgent', 'lift'),
        ("The lift door closed on my son's hand, he's ok but it keeps doing it", 'urgent', 'lift'),
        ('马桶往上返水 满地都是脏水', 'urgent', 'sanitation'),
        ('Sewage is backing up through the shower drain into the bathroom', 'urgent', 'sanitation'),
        ('我老伴扭了腰 躺着起不来 翻身都疼', 'emergency', 'medical'),
        ("My aunt missed her check in this morning and isn't answering", 'urgent', 'care'),
        ('暖气片接口漏水 屋里也不热了', 'urgent', 'heating'),
        ("She can't cook for herself since the stroke last year, could someone bring meals this week?", 'routine', 'care'),
        ('去年我摔倒是你们送我去医院的，现在早好了，谢谢', 'info', 'admin'),
        ('隔壁王大爷家门口的报纸堆了三天没人拿，敲门也没人应', 'emergency', 'care'),
        ('我爸说话突然含糊不清，嘴也歪了', 'emergency', 'medical'),
        ('The toilet in the community centre has been blocked for a week', 'routine', 'sanitation'),
        ('楼下垃圾桶满了好几天没人收，味道很大', 'routine', 'sanitation'),
        ('我家暖气一点都不热，老人在家冻得受不了', 'urgent', 'heating'),
        ("Can I get a parking permit for my son's car at the office?", 'info', 'admin'),
        ('Thanks to Xiao Liu for carrying my rice upstairs yesterday!', 'info', 'admin'),
        ('The street lamp outside building 7 has been flickering for weeks', 'routine', 'infrastructure'),
        ('楼道里有股很浓的煤气味，不知道谁家的', 'emergency', 'gas'),
        ("There's a man trying door handles on the 3rd floor right now", 'emergency', 'security'),
        ('我妈糖尿病，胰岛素用完了，她腿脚不便出不了门', 'urgent', 'medical'),
        ('邻居家狗天天叫，晚上睡不着', 'routine', 'dispute'),
        ('水管爆了 厨房全是水', 'urgent', 'water'),
        ('Someone keeps parking in the fire lane behind block 2', 'routine', 'dispute'),
        ("I'm fine today, thank you", 'info', 'care'),
        ('电梯卡在六楼和七楼之间，我妈在里面', 'emergency', 'lift'),
        ("My neighbour's balcony has smoke coming out and nobody answers the door", 'emergency', 'fire'),
        ('社区下个月有没有免费体检啊', 'info', 'medical'),
        ('我一个人住，今天头特别晕，站都站不稳', 'emergency', 'medical'),
        ('Hot water pipe in the basement is leaking steam, quite a lot', 'urgent', 'water'),
        ('The kids upstairs run around until midnight every day', 'routine', 'dispute'),
        ('家里没电了，冰箱里都是我老伴的胰岛素', 'urgent', 'power'),
        ('有人打电话说我孙子出事了让我转钱', 'urgent', 'security'),
        ("My father has dementia and walked out an hour ago, we can't find him", 'emergency', 'security'),
        ('可以帮我爷爷预约一下下周的理发服务吗', 'routine', 'care'),
        ('楼顶漏雨 顺着墙流到插座那里了', 'emergency', 'water'),
        ('好的，知道了', 'info', 'admin'),
        ('奶奶在厨房晕倒了 叫她没反应', 'emergency', 'medical'),
        ('My wife is having trouble breathing and her lips are turning blue', 'emergency', 'medical'),
        ('楼下车库有股汽油味 还有烟', 'emergency', 'fire'),
        ('老李家三天没开门了 电话也打不通 他一个人住', 'emergency', 'care'),
        ('A boy about 6 is wandering alone near the canal, crying for his mum', 'emergency', 'security'),
        ('楼道的灯坏了一个月了', 'routine', 'infrastructure'),
        ('Our bathroom tap drips all night', 'routine', 'water'),
        ('小区里老鼠太多了 晚上在垃圾桶边乱窜', 'routine', 'sanitation'),
        ('Renovation drilling starts at 7am every day next door', 'routine', 'dispute'),
        ('家里断水了 我妈瘫在床上 水都喝不上', 'urgent', 'water'),
        ('No heat in our flat and we have a newborn', 'urgent', 'heating'),
        ('锁在门外了 钥匙落在屋里 外面下着雪', 'urgent', 'security'),
        ('请问社区食堂几点开饭', 'info', 'admin'),
        ('What documents do I need for the low-income subsidy?', 'info', 'admin'),
        ('谢谢小张昨天帮我修好了水龙头', 'info', 'admin'),
        ('挺好的 不用担心', 'info', 'care'),
        ('卫生间的下水道堵了 水下不去', 'routine', 'sanitation'),
        ('有人在楼下打架 还拿着刀', 'emergency', 'security'),
        ('The smoke alarm in the flat above has been beeping for an hour and I smell burning', 'emergency', 'fire'),
        ('我家孩子误吃了奶奶的降压药', 'emergency', 'medical'),
        ('楼上装修把我家天花板震裂了一条缝', 'routine', 'infrastructure'),
        ('Is the community office open on Saturday?', 'info', 'admin'),
        ('我闻到好像有点煤气味 不确定', 'emergency', 'gas'),
        ("The old man in 5B hasn't collected his milk for three days and isn't answering", 'emergency', 'care'),
        ('停车位被别人占了好几天', 'routine', 'dispute'),
        ('爷爷从床上掉下来了 头上流了好多血', 'emergency', 'medical'),
        ('Theres water pouring through the ceiling light in the hallway', 'emergency', 'water'),
        ('老伴突然胸口疼得厉害 出冷汗', 'emergency', 'medical'),
        ('I can hear someone screaming for help in flat 3C', 'emergency', 'security'),
        ('厨房的燃气管子好像在漏气 嘶嘶响', 'emergency', 'gas'),
        ('A woman upstairs is threatening to jump from the balcony', 'emergency', 'medical'),  # FAMILIES.md: self-harm is medical
        ('楼下电动车充电着火了 烟往楼上窜', 'emergency', 'fire'),
        ("My mother has been vomiting all day and can't keep water down, she's 84", 'urgent', 'medical'),
        ('家里停电三个小时了 冰箱里的东西要坏了', 'urgent', 'power'),
        ("The front door of our building won't lock", 'routine', 'infrastructure'),
        ('小区健身器材有个螺丝松了', 'routine', 'infrastructure'),
        ("My 92-year-old neighbour has no drinking water left and can't carry bottles", 'urgent', 'care'),
        ('能不能帮我查一下养老金什么时候到账', 'info', 'admin'),
        ('When is the next flu vaccine day at the community centre?', 'info', 'medical'),
        ('昨天的暖气维修师傅很负责，表扬一下', 'info', 'admin'),
        ('all good here, thanks', 'info', 'care'),
        ('水龙头一直滴水 关不紧', 'routine', 'water'),
        ('Someone dumped a mattress by the bins', 'routine', 'sanitation'),
        ('楼上的狗半夜一直叫 好几天了', 'routine', 'dispute'),
]


@pytest.mark.parametrize("text, urgency, category", BEYOND_DEV)
def test_sentences_beyond_the_dev_set(text: str, urgency: str, category: str) -> None:
    verdict = classify(text)
    assert (verdict.urgency, verdict.category) == (urgency, category), (text, verdict)


def test_an_unreadable_message_with_a_danger_word_is_urgent_not_routine() -> None:
    verdict = classify("奶奶在院子里晕乎乎的")
    assert verdict.urgency in ("urgent", "emergency"), verdict
    assert classify("小区后门的拴马桩倒歪了").urgency == "routine"


def test_language_and_reasons() -> None:
    verdict = classify("我家水管爆了，水漫到客厅了")
    assert verdict.lang == "zh" and verdict.urgency == "urgent" and verdict.category == "water"
    assert verdict.reasons and "水管爆" in verdict.reasons[0]
    assert classify("Hi 你好, my kid's school wants a 居住证明 from the community").lang == "en"
    assert classify("").urgency in URGENCIES


def test_every_verdict_uses_known_labels() -> None:
    for text in RED_FLAGS_ZH + RED_FLAGS_EN + ["", "🙂", "a" * 4000, "？？？"]:
        verdict = classify(text)
        assert verdict.urgency in URGENCIES and verdict.category in CATEGORIES


def test_the_lexicon_is_data_a_committee_can_extend() -> None:
    base = load_lexicon()
    assert classify("小区后门的拴马桩倒了").urgency != "emergency"
    extended = Engine(base.with_entries([Entry("zh", "拴马桩倒了", "problem", "emergency", "infrastructure")]))
    verdict = extended.classify("小区后门的拴马桩倒了")
    assert (verdict.urgency, verdict.category) == ("emergency", "infrastructure")
    with pytest.raises(ValueError):
        Engine(base.with_entries([Entry("zh", "x", "problem", "panic", "infrastructure")]))


def test_it_is_fast() -> None:
    # a smoke check, not a benchmark (bench/ measures); generous so a busy CI never flakes
    texts = RED_FLAGS_ZH + RED_FLAGS_EN
    started = time.perf_counter()
    for _ in range(10):
        for text in texts:
            classify(text + " ")
    assert (time.perf_counter() - started) / (10 * len(texts)) < 0.02


def test_dev_set_targets_hold_if_present() -> None:
    """The shared dev set, when it sits beside the repository (as in CI)."""
    path = Path(__file__).resolve().parents[3] / "shared" / "triage" / "dev.jsonl"
    if not path.exists():
        pytest.skip("../shared/triage/dev.jsonl is not here")
    import io

    from bot.devtools.triage_eval import evaluate

    metrics = evaluate(path, io.StringIO())
    assert metrics["emergency_recall"] == 1.0
    assert metrics["emergency_precision"] >= 0.80
    assert metrics["urgency_macro_f1"] >= 0.90
    assert metrics["category_accuracy"] >= 0.90


# Families by structure (issue #11, round 8 on): a body part and how it feels, a sign and a sign,
# whatever the sentence around them. Written here, not taken from any batch.
@pytest.mark.parametrize("text", [
    "my chest feels really tight and heavy since lunch",
    "he says there's a crushing pressure behind his breastbone",
    "胸口像被什么压着一样 喘不匀",
    "左胳膊发麻 还一直出冷汗",
    "her face went grey and she's in a cold sweat",
    "燃气热水器洗澡 洗着洗着头晕 腿软",
    "the alarm next to the hob won't stop beeping",
    "my grandad slipped, says he's fine but can't get up",
    "墙上的裂缝越来越宽 还咔咔地响 是不是要塌了",
])
def test_families_are_read_by_structure_not_by_sentence(text: str) -> None:
    assert classify(text).urgency == "emergency", (text, classify(text))


@pytest.mark.parametrize("text", [
    "the hall light flickers, I think it's just the fitting",
    "smoke alarm keeps chirping, needs a new battery",
    "Omg nearly had a heart attack, a pigeon flew into my kitchen",
    "neighbour's cigarette smoke drifts into my window every night",
])
def test_a_danger_word_inside_a_harmless_thing_is_not_a_red_flag(text: str) -> None:
    assert classify(text).urgency in ("routine", "info"), (text, classify(text))


@pytest.mark.parametrize("cry", ["🆘", "🆘🆘🆘", "SOS", "sos!!", "S.O.S", "s o s", "救命", "救命啊"])
def test_a_cry_alone_is_an_emergency(cry):
    """Issue #15: the SOS sign and SOS spelt letter by letter are the word SOS."""
    verdict = classify(cry)
    assert (verdict.urgency, verdict.category) == ("emergency", "medical")


@pytest.mark.parametrize("text", ["It's on sale", "bus os", "the dogs on the stairs"])
def test_sos_is_not_found_in_ordinary_words(text):
    assert classify(text).urgency != "emergency"


@pytest.mark.parametrize("text, urgency", [
    # families of round 12, in words of our own: what melts beside a wire burns; a bleed that will
    # not stop, or a bleed on blood thinners; skin coming off is a burn only beside a burn
    ("the charger cable went soft and melted into the carpet", "emergency"),
    ("排插烧化了 一股味道", "emergency"),
    ("my dad's nose bleed has not stopped for half an hour, it wont stop", "emergency"),
    ("she cut her finger cooking and keeps bleeding, she takes warfarin", "emergency"),
    ("卫生间墙上的漆一块块掉皮 能刷一下吗", "routine"),
    ("去年小区失火那件事 后来赔偿怎么说的", "info"),
])
def test_round_12_families(text: str, urgency: str) -> None:
    assert classify(text).urgency == urgency, (text, classify(text))


@pytest.mark.parametrize("text, urgency", [
    # families of round 13, in words of our own
    ("cut my arm on the glass door, towel soaked and I feel light headed", "emergency"),
    ("孩子吃了花生 嘴唇一下子肿了 嗓子眼发紧", "emergency"),
    ("my daughter is 38 weeks, her waters broke ten minutes ago", "emergency"),
    ("ye ye shuai dao le, qi bu lai, 3 hao lou", "emergency"),
    ("there is a notice in the lift about water tomorrow, what does it say?", "info"),
    ("what should I do if the lift ever stops between floors? asking in advance", "info"),
    ("地下室的水已经退了 墙皮掉了一大片 想找人补一下", "routine"),
])
def test_round_13_families(text: str, urgency: str) -> None:
    assert classify(text).urgency == urgency, (text, classify(text))


@pytest.mark.parametrize("text, urgency", [
    # round 14, in words of our own: what a fire left is not the fire; a fire out of control is
    # not out; speech gone thick with words between; a hip that takes no weight; a risk is a topic
    ("the fire upstairs is out since yesterday but the landing is still black, who cleans it", "routine"),
    ("the fire is out of control, smoke everywhere", "emergency"),
    ("爷爷今天讲话有点含糊 右手也拿不稳筷子", "emergency"),
    ("my dad (79) slipped in the kitchen and can't put weight on his leg", "emergency"),
    ("bikes parked in the corridor are a fire hazard, can you remind people", "routine"),
])
def test_round_14_families(text: str, urgency: str) -> None:
    assert classify(text).urgency == urgency, (text, classify(text))


@pytest.mark.parametrize("text", [
    "a man on the phone says he is from the court and my aunt must move her savings to a safe account",
    "奶奶接到电话说中奖了 要先交钱才能领 现在正要去银行转",
    "I clicked the link in a text about my parcel and typed my password",
])
def test_fraud_by_its_signs_is_urgent_security(text: str) -> None:
    verdict = classify(text)
    assert (verdict.urgency, verdict.category) == ("urgent", "security"), (text, verdict)


@pytest.mark.parametrize("text, urgency", [
    # round 15, in words of our own
    ("our 5 year old daughter hasn't come home from school, we searched everywhere", "emergency"),
    ("smoke alarm in the kitchen beeps, battery i guess, no smoke at all", "routine"),
    ("如果电梯停在两层中间该怎么办？先问问，现在没事", "info"),
    ("I smell gas in the hall, strong. just asking in advance what to do?", "emergency"),
    ("cleaned the bathroom with bleach and another cleaner, now my eyes are burning and I can't stop coughing", "emergency"),
    ("上次着火你们来得很快 谢谢大家", "info"),
])
def test_round_15_families(text: str, urgency: str) -> None:
    assert classify(text).urgency == urgency, (text, classify(text))


@pytest.mark.parametrize("text, urgency", [
    # round 16, in words of our own
    ("外墙的裂缝越来越大 刚才掉水泥了 还有咔咔的声音", "emergency"),
    ("the lift suddenly dropped a floor with my mum inside, doors opened between floors", "emergency"),
    ("孩子把开水泼到身上了 整条腿都起泡了", "emergency"),
    ("吃了虾以后嗓子肿了 呼哧呼哧喘", "emergency"),
    ("想提前了解一下 如果老人中风了怎么判断？", "info"),
    ("电梯坏了 我住12楼下不去 腿脚不好", "urgent"),
])
def test_round_16_families(text: str, urgency: str) -> None:
    assert classify(text).urgency == urgency, (text, classify(text))


@pytest.mark.parametrize("text, urgency", [
    # round 17, in words of our own
    ("my dad has dementia, he walked out in his pyjamas two hours ago and hasn't come back", "emergency"),
    ("Could the committee run a first aid class? If someone collapses we would not know what to do", "info"),
    ("仓库里不知道什么东西漏了 好几个人眼睛辣 一直咳", "emergency"),
    ("the girl from 3-202 who went missing yesterday is back home, you can stop looking", "info"),
    ("the girl from 3-202 who went missing is back home, you can stop looking", "urgent"),  # over, no time: a person checks
    ("装修的油漆味很大 孩子有点咳", "routine"),
])
def test_round_17_families(text: str, urgency: str) -> None:
    assert classify(text).urgency == urgency, (text, classify(text))
