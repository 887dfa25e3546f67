"""Demonstration data: a believable round of the incubator plan, safe to run again.

Everything is looked up by a natural key before it is made, and an application's history is
written only when the application is new, so a second run changes nothing.
"""

import hashlib
import random
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.core.management.base import BaseCommand
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext_noop
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken

from applications.enums import ApplicationStatus as Status
from applications.enums import AttachmentKind, MembershipRole
from applications.models import Application, Attachment, Startup
from applications.services import transition_application
from incubator.enums import Currency, Region, ServiceKind, Stage, Track
from incubator.models import (
    DEFAULT_PROGRAMME_NAME,
    Criterion,
    Programme,
    Question,
    Round,
    ServiceProvider,
)
from incubator.permissions import COORDINATORS_GROUP, REVIEWERS_GROUP
from notifications.services import create_provider
from reviews.enums import Recommendation
from reviews.models import Assignment, ConflictOfInterest, ReviewerProfile
from reviews.services import assign_reviewer, declare_conflict, save_review, submit_review
from reviews.shortlists import create_shortlist

DEMO_LOGINS = [
    ("coordinator", "coordinator-demo", "coordinator: every model, ranking, shortlists"),
    ("reviewer", "reviewer-demo", "reviewer: assigned applications only"),
    ("founder", "founder-demo", "start-up founder: own start-up and applications"),
]

# Coordinators give a second factor at every log-in: the demo prints a one-time recovery code.
DEMO_RECOVERY_DEVICE = "Demonstration recovery code"

# In the catalogues: e-mails show a round's name in the recipient's language where it is there.
ROUND_NAME = gettext_noop("2026 Autumn intake")
DEMO_SHORTLIST = "Panel shortlist (draft)"

# The demo round's own questions (DESIGN.md §11), in the three languages.
QUESTIONS = [
    {
        "key": "chain",
        "kind": "choice",
        "label": {
            "en": "Which chain or platform do you build on?",
            "zh-hans": "你的项目基于哪条链或哪个平台？",
            "zh-hant": "你的項目基於哪條鏈或哪個平台？",
        },
        "help": {
            "en": "The main one, if there are several.",
            "zh-hans": "如有多个，请选主要的一个。",
            "zh-hant": "如有多個，請選主要的一個。",
        },
        "required": True,
        "share_with_providers": True,
        "choices": [
            {
                "value": "ethereum",
                "label": {"en": "Ethereum", "zh-hans": "以太坊", "zh-hant": "以太坊"},
            },
            {"value": "fisco-bcos", "label": {"en": "FISCO BCOS"}},
            {"value": "hyperledger-fabric", "label": {"en": "Hyperledger Fabric"}},
            {
                "value": "conflux",
                "label": {"en": "Conflux", "zh-hans": "树图链", "zh-hant": "樹圖鏈"},
            },
            {"value": "other", "label": {"en": "Other", "zh-hans": "其他", "zh-hant": "其他"}},
        ],
    },
    {
        "key": "issues_token",
        "kind": "boolean",
        "label": {
            "en": "Does the project issue a token?",
            "zh-hans": "项目是否发行代币？",
            "zh-hant": "項目是否發行代幣？",
        },
        "required": True,
        "share_with_providers": True,
    },
    {
        "key": "licences",
        "kind": "multi_choice",
        "label": {
            "en": "Licences held",
            "zh-hans": "已持有的牌照",
            "zh-hant": "已持有的牌照",
        },
        "share_with_providers": True,
        "choices": [
            {
                "value": "sfc-type-1",
                "label": {
                    "en": "Hong Kong SFC Type 1 (dealing in securities)",
                    "zh-hans": "香港证监会第1类（证券交易）",
                    "zh-hant": "香港證監會第1類（證券交易）",
                },
            },
            {
                "value": "sfc-type-4",
                "label": {
                    "en": "Hong Kong SFC Type 4 (advising on securities)",
                    "zh-hans": "香港证监会第4类（就证券提供意见）",
                    "zh-hant": "香港證監會第4類（就證券提供意見）",
                },
            },
            {
                "value": "sfc-type-9",
                "label": {
                    "en": "Hong Kong SFC Type 9 (asset management)",
                    "zh-hans": "香港证监会第9类（提供资产管理）",
                    "zh-hant": "香港證監會第9類（提供資產管理）",
                },
            },
            {
                "value": "vasp",
                "label": {
                    "en": "Hong Kong VASP licence",
                    "zh-hans": "香港虚拟资产交易平台牌照",
                    "zh-hant": "香港虛擬資產交易平台牌照",
                },
            },
            {
                "value": "macau-amcm",
                "label": {
                    "en": "Macau AMCM authorisation",
                    "zh-hans": "澳门金融管理局许可",
                    "zh-hant": "澳門金融管理局許可",
                },
            },
        ],
    },
    {
        "key": "pilot_partner",
        "kind": "text",
        "label": {
            "en": "Pilot partner",
            "zh-hans": "试点合作伙伴",
            "zh-hant": "試點合作夥伴",
        },
        "help": {
            "en": "The organisation you pilot with, if any.",
            "zh-hans": "与你开展试点的机构（如有）。",
            "zh-hant": "與你開展試點的機構（如有）。",
        },
        "max_length": 200,
    },
]
PILOT_PARTNERS = [
    "Bank of China (Hong Kong)",
    "Macau Trade and Investment Promotion Institute",
    "Shenzhen Qianhai Authority",
    "Hong Kong Science and Technology Parks",
    "Guangzhou Port Group",
    "",
]

RUBRIC = [
    (
        "Technology and blockchain fit",
        "Is a blockchain the right tool, and is it built well?",
        "3",
        10,
    ),
    ("Team", "Experience, completeness and commitment of the founding team.", "2", 10),
    (
        "Market and business model",
        "Size of the opportunity and a credible path to revenue.",
        "2",
        10,
    ),
    ("Greater Bay Area impact", "Benefit to the cities and industries of the Bay Area.", "1.5", 5),
    ("Readiness for incubation", "Can the team use the programme's services now?", "1.5", 5),
]

# (English name, Chinese name, region); the founder's start-up comes first.
STARTUPS = [
    ("Pearl River Ledger", "珠江账本科技", Region.GUANGZHOU),
    ("Huangpu Chainworks", "黄埔链工", Region.GUANGZHOU),
    ("Canton Trade Trust", "广府贸易信链", Region.GUANGZHOU),
    ("Lingnan Health Chain", "岭南健康链", Region.GUANGZHOU),
    ("Qianhai Settlement Labs", "前海清算实验室", Region.SHENZHEN),
    ("Nanshan Identity", "南山数字身份", Region.SHENZHEN),
    ("Shekou Port Ledger", "蛇口港链", Region.SHENZHEN),
    ("Futian Green Credits", "福田绿色积分", Region.SHENZHEN),
    ("Hengqin Crossborder Pay", "横琴跨境支付", Region.ZHUHAI),
    ("Zhuhai Ocean Data", "珠海海洋数据", Region.ZHUHAI),
    ("Shunde Furniture Trace", "顺德家具溯源", Region.FOSHAN),
    ("Foshan Ceramics Chain", "佛山陶瓷链", Region.FOSHAN),
    ("Huizhou Energy Grid", "惠州能源网络", Region.HUIZHOU),
    ("Daya Bay Carbon", "大亚湾碳链", Region.HUIZHOU),
    ("Dongguan Maker Ledger", "东莞智造账本", Region.DONGGUAN),
    ("Songshan Lake Robotics ID", "松山湖机器人身份", Region.DONGGUAN),
    ("Zhongshan Lighting Trace", "中山灯饰溯源", Region.ZHONGSHAN),
    ("Cuiheng Education Chain", "翠亨教育链", Region.ZHONGSHAN),
    ("Jiangmen Diaspora Remit", "江门侨汇链", Region.JIANGMEN),
    ("Kaiping Heritage Tokens", "开平侨乡文旅", Region.JIANGMEN),
    ("Zhaoqing Inkstone Provenance", "肇庆端砚溯源", Region.ZHAOQING),
    ("Dinghu Eco Ledger", "鼎湖生态账本", Region.ZHAOQING),
    ("Victoria Harbour Finance", "維港金融科技", Region.HONG_KONG),
    ("Kowloon Custody", "九龍數字託管", Region.HONG_KONG),
    ("Cyberport Claims", "數碼港理賠鏈", Region.HONG_KONG),
    ("Lantau Logistics Chain", "大嶼山物流鏈", Region.HONG_KONG),
    ("Sha Tin MedRecords", "沙田醫療紀錄", Region.HONG_KONG),
    ("Central Bond Registry", "中環債券登記", Region.HONG_KONG),
    ("Macau Gaming Compliance", "澳門合規科技", Region.MACAU),
    ("Taipa Tourism Pass", "氹仔旅遊通", Region.MACAU),
    ("Cotai Hospitality Chain", "路氹酒店鏈", Region.MACAU),
    ("Lusophone Trade Bridge", "中葡貿易橋", Region.MACAU),
    ("Guangzhou Civic Records", "广州政务存证", Region.GUANGZHOU),
    ("Shenzhen Chip Provenance", "深圳芯片溯源", Region.SHENZHEN),
    ("Bay Area Fresh Foods", "湾区生鲜链", Region.DONGGUAN),
    ("Foshan Auto Parts Ledger", "佛山汽配链", Region.FOSHAN),
    ("Singapore Strait Ledger", "海峡账本", Region.OUTSIDE_GBA),
    ("Hangzhou Archive Chain", "杭州档案链", Region.OUTSIDE_GBA),
    ("Chengdu Panda Credits", "成都熊猫积分", Region.OUTSIDE_GBA),
    ("Lisbon Port Token", "里斯本港口通证", Region.OUTSIDE_GBA),
]

# How many start-ups (after the founder's, which keeps a draft) end in each status.
STATUS_PLAN = [
    (Status.DRAFT, 4),
    (Status.SUBMITTED, 6),
    (Status.UNDER_REVIEW, 13),
    (Status.SHORTLISTED, 5),
    (Status.ACCEPTED, 4),
    (Status.WAITLISTED, 3),
    (Status.REJECTED, 3),
    (Status.WITHDRAWN, 1),
]

# The path from draft to each status, through the transition table.
PATHS = {
    Status.DRAFT: [],
    Status.SUBMITTED: [Status.SUBMITTED],
    Status.UNDER_REVIEW: [Status.SUBMITTED, Status.UNDER_REVIEW],
    Status.SHORTLISTED: [Status.SUBMITTED, Status.UNDER_REVIEW, Status.SHORTLISTED],
    Status.ACCEPTED: [Status.SUBMITTED, Status.UNDER_REVIEW, Status.SHORTLISTED, Status.ACCEPTED],
    Status.WAITLISTED: [Status.SUBMITTED, Status.UNDER_REVIEW, Status.WAITLISTED],
    Status.REJECTED: [Status.SUBMITTED, Status.UNDER_REVIEW, Status.REJECTED],
    Status.WITHDRAWN: [Status.SUBMITTED, Status.WITHDRAWN],
}

REVIEWERS = [
    ("reviewer", "Mei", "Chan", [Track.FINANCE, Track.INFRASTRUCTURE]),
    ("reviewer.wong", "Kelvin", "Wong", [Track.SUPPLY_CHAIN, Track.TOURISM]),
    ("reviewer.li", "Li", "Na", [Track.HEALTHCARE, Track.EDUCATION]),
    ("reviewer.zhang", "Zhang", "Wei", [Track.GOVERNMENT, Track.INFRASTRUCTURE]),
    ("reviewer.lam", "Ada", "Lam", [Track.FINANCE, Track.OTHER]),
    ("reviewer.sousa", "Rui", "Sousa", [Track.TOURISM, Track.SUPPLY_CHAIN]),
]

PROVIDERS = [
    (
        "Bay Area Blockchain Fund",
        ServiceKind.FUND,
        "deals@gba-fund.example",
        [Track.FINANCE, Track.INFRASTRUCTURE],
    ),
    ("Huangpu Venture Partners", ServiceKind.FUND, "invest@huangpu-vp.example", []),
    ("Alliance Academy", ServiceKind.TRAINING, "cohort@alliance-academy.example", []),
    (
        "Macau Digital Skills Centre",
        ServiceKind.TRAINING,
        "info@mo-skills.example",
        [Track.TOURISM, Track.EDUCATION],
    ),
    ("Smart Contract Audit Lab", ServiceKind.TESTING, "audits@sc-lab.example", []),
    (
        "GBA Certification Institute",
        ServiceKind.TESTING,
        "cert@gba-cert.example",
        [Track.HEALTHCARE, Track.GOVERNMENT, Track.SUPPLY_CHAIN],
    ),
]

# The provider whose webhooks go to the demo's receiver (`manage.py webhook_receiver`, which
# `make demo` starts): publish the demo shortlist, or "Send a test webhook", to see one arrive.
WEBHOOK_PROVIDER = "Bay Area Blockchain Fund"
DEFAULT_WEBHOOK_PORT = 8001

# What each track's projects do: two sentences a founder might write, per track.
SUMMARIES = {
    Track.INFRASTRUCTURE: [
        "We run validator nodes and a permissioned chain that Bay Area companies rent instead "
        "of operating their own. Customers get a ledger, key custody and monitoring as one "
        "service.",
        "Our gateway lets enterprise systems write to several blockchains through one API, with "
        "audit logs that meet mainland and Hong Kong rules.",
    ],
    Track.FINANCE: [
        "We settle cross-border trade payments between Hong Kong and mainland banks on a shared "
        "ledger, cutting settlement from three days to under an hour.",
        "Small exporters pledge their invoices on our platform and receive financing from "
        "several banks at once; each invoice can be financed only once.",
    ],
    Track.SUPPLY_CHAIN: [
        "Each pallet gets a tag that factories, ports and retailers scan into a shared ledger, "
        "so a buyer sees where goods were made and how they travelled.",
        "We help manufacturers prove the origin of their parts to overseas customers, replacing "
        "paper certificates that take weeks to check.",
    ],
    Track.HEALTHCARE: [
        "Patients carry their medical records between hospitals in Guangdong, Hong Kong and "
        "Macau, and decide which doctor may read them.",
        "Clinical trial data is time-stamped on a ledger as it is collected, so sponsors and "
        "regulators can show it was not changed afterwards.",
    ],
    Track.EDUCATION: [
        "Universities issue diplomas and course certificates that employers verify in seconds, "
        "across the border, without calling the registry.",
        "Vocational schools record the skills their students earn, and students share them "
        "with employers as one verified profile.",
    ],
    Track.TOURISM: [
        "One travel pass covers transport, museums and hotels in Macau, Zhuhai and Hong Kong; "
        "partners are paid the same day.",
        "Visitors collect stamps at heritage sites and redeem them with local shops, which "
        "brings tourists beyond the usual routes.",
    ],
    Track.GOVERNMENT: [
        "We help district offices keep tamper-evident records of permits and contracts, which "
        "citizens can check online.",
        "Companies registered in one Bay Area city prove their licences to another city's "
        "authorities without resubmitting paper copies.",
    ],
    Track.OTHER: [
        "Artists and small studios register their designs when they create them, so they can "
        "prove authorship in a dispute.",
        "Sports clubs sell tickets that cannot be copied or resold above face value.",
    ],
}

# Reviewers' comments: a strength and a concern, drawn so that no two reviews of one
# application read alike.
STRENGTHS = [
    "The team has shipped a pilot with real customers.",
    "A clear use case where a shared ledger beats a central database.",
    "Strong technical founders with experience in cryptography.",
    "The Bay Area market for this is large and growing.",
    "Partnerships with two banks are already signed.",
    "The prototype is well built and the demo convinced me.",
    "Regulatory questions have been thought through carefully.",
    "A credible path to revenue within eighteen months.",
]
CONCERNS = [
    "The token model needs work.",
    "I doubt a blockchain is needed here; a shared database might do.",
    "The team lacks someone with sales experience.",
    "The funding request seems high for the stage.",
    "Competitors in Shenzhen are further ahead.",
    "Data protection across the border is not addressed.",
    "The pitch deck gives too few numbers on customers.",
    "Reliance on a single partner is a risk.",
]

# A minimal, valid one-page PDF, so demo pitch decks open in a viewer.
DEMO_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


class Command(BaseCommand):
    help = "Load demonstration data (a round, start-ups, reviewers, providers); safe to repeat."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--webhook-port",
            type=int,
            default=DEFAULT_WEBHOOK_PORT,
            help="The port of the demo's webhook receiver on 127.0.0.1 (manage.py "
            "webhook_receiver), where the demo provider's webhooks go.",
        )

    def handle(self, *args, webhook_port: int = DEFAULT_WEBHOOK_PORT, **options) -> None:
        self.webhook_port = webhook_port
        # All or nothing; the e-mails it causes go out when the transaction commits, before the
        # logins are printed, so the logins are the last thing on the screen.
        with transaction.atomic():
            recovery_code = self._seed()
        self.stdout.write(self.style.SUCCESS("Demonstration data is ready. Logins:"))
        for username, password, what in DEMO_LOGINS:
            self.stdout.write(f"  {username:<12} {password:<18} {what}")
        self.stdout.write(
            f"  The coordinator's second step (two-factor authentication): recovery code "
            f"{recovery_code}\n"
            "  (good for one log-in; run this again, or `manage.py addstatictoken coordinator`, "
            "for another,\n  or set up an authenticator app from the admin's "
            '"Two-factor authentication" link)'
        )

    def _seed(self) -> str:
        rng = random.Random(2026)  # noqa: S311 (demo data, not security)
        now = timezone.now()
        programme = Programme.objects.get(name=DEFAULT_PROGRAMME_NAME)
        coordinator = self._user(
            "coordinator", "coordinator-demo", COORDINATORS_GROUP, "Grace", "Ho"
        )
        round_ = self._round(programme, now)
        reviewers = [
            self._reviewer(username, first, last, expertise)
            for username, first, last, expertise in REVIEWERS
        ]
        founder = self._user("founder", "founder-demo", None, "Jun", "Liu")
        startups = [
            self._startup(index, name, chinese, region, founder if index == 0 else None, rng)
            for index, (name, chinese, region) in enumerate(STARTUPS)
        ]
        self._conflicts(reviewers, startups, coordinator)
        targets = [Status.DRAFT] + [status for status, count in STATUS_PLAN for _ in range(count)]
        for startup, target in zip(startups, targets, strict=True):
            self._application(round_, startup, target, reviewers, coordinator, rng)
        if not round_.shortlists.filter(name=DEMO_SHORTLIST).exists():
            # An unpublished shortlist made through the service, ready to review and publish.
            create_shortlist(round=round_, name=DEMO_SHORTLIST, actor=coordinator, size=8)
        existing = set(ServiceProvider.objects.values_list("name", flat=True))
        for name, kind, email, tracks in PROVIDERS:
            if name not in existing:
                create_provider(
                    actor=coordinator,
                    name=name,
                    kind=kind,
                    email=email,
                    tracks=tracks,
                    webhook_url=self._webhook_url(name),
                )
        return self._recovery_code(coordinator)

    def _webhook_url(self, provider_name: str) -> str:
        """The demo receiver's address for the demo's webhook provider. It is on this machine,
        so only where such addresses are allowed (`make demo`, tests); e-mail only elsewhere."""
        if provider_name != WEBHOOK_PROVIDER or not settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES:
            return ""
        return f"http://127.0.0.1:{self.webhook_port}/webhooks/bay-area-blockchain-fund"

    def _recovery_code(self, coordinator) -> str:
        """An unused recovery code of the demo coordinator: the same until used, then a new one."""
        device, _created = StaticDevice.objects.get_or_create(
            user=coordinator, name=DEMO_RECOVERY_DEVICE
        )
        token = device.token_set.order_by("pk").first()
        if token is None:
            token = device.token_set.create(token=StaticToken.random_token())
        return token.token

    def _user(self, username, password, group_name, first_name, last_name):
        user, created = get_user_model().objects.get_or_create(
            username=username,
            defaults={
                "first_name": first_name,
                "last_name": last_name,
                "email": f"{username}@demo.example",
                "is_staff": group_name is not None,
            },
        )
        if created:
            user.set_password(password)
            user.save(update_fields=["password"])
            if group_name:
                user.groups.add(Group.objects.get(name=group_name))
        return user

    def _round(self, programme, now):
        round_, created = Round.objects.get_or_create(
            programme=programme,
            name=ROUND_NAME,
            defaults={
                "opens_at": now - timedelta(days=20),
                "closes_at": now + timedelta(days=25),
                "review_deadline": now + timedelta(days=55),
                "reviews_per_application": 3,
            },
        )
        if not round_.questions.exists() and not round_.applications.exists():
            for order, question in enumerate(QUESTIONS):
                Question.objects.create(
                    round=round_,
                    order=order,
                    **{"help": {}, "required": False, "choices": [], **question},
                )
        if created:
            for order, (name, description, weight, max_score) in enumerate(RUBRIC):
                Criterion.objects.create(
                    round=round_,
                    name=name,
                    description=description,
                    weight=Decimal(weight),
                    max_score=max_score,
                    order=order,
                )
        return round_

    def _reviewer(self, username, first, last, expertise):
        password = "reviewer-demo" if username == "reviewer" else f"{username}-demo"
        user = self._user(username, password, REVIEWERS_GROUP, first, last)
        ReviewerProfile.objects.get_or_create(
            user=user, defaults={"expertise": list(expertise), "max_load": 15}
        )
        return user

    def _startup(self, index, name, chinese, region, founder, rng):
        startup, created = Startup.objects.get_or_create(
            name=f"{name} {chinese}",
            defaults={
                "region": region,
                "founded_on": date(2019 + index % 7, 1 + index % 12, 1 + index % 28),
                "website": f"https://{name.lower().replace(' ', '-')}.example",
                "team_size": rng.randint(3, 60),
                "description": f"{name} builds blockchain services for the Greater Bay Area.",
                "contact_email": founder.email if founder else f"hello@startup{index}.example",
            },
        )
        if created and founder:
            # The founder registered it, so they own it (DESIGN.md §11).
            startup.members.add(founder, through_defaults={"role": MembershipRole.OWNER})
        return startup

    def _conflicts(self, reviewers, startups, coordinator):
        pairs = [
            (reviewers[0], startups[5], "Former employer (2021–2023)."),
            (reviewers[1], startups[26], "Family member is a shareholder."),
            (reviewers[4], startups[22], "Advisor to the company."),
        ]
        for reviewer, startup, reason in pairs:
            declare_conflict(reviewer=reviewer, startup=startup, reason=reason, actor=coordinator)

    def _application(self, round_, startup, target, reviewers, coordinator, rng):
        track = rng.choice(Track.values)
        needs = {kind: rng.random() < 0.6 for kind in ServiceKind.values}
        if not any(needs.values()):
            needs[rng.choice(ServiceKind.values)] = True  # submitting needs at least one
        application, created = Application.objects.get_or_create(
            round=round_,
            startup=startup,
            defaults={
                "project_name": f"{startup.name.split(' ')[0]} {rng.choice(PROJECT_NOUNS)}",
                "track": track,
                "stage": rng.choice(Stage.values),
                "summary": rng.choice(SUMMARIES[Track(track)]),
                "funding_amount": Decimal(rng.randrange(50, 500) * 10_000),
                "funding_currency": rng.choice(Currency.values),
                "needs_fund": needs["fund"],
                "needs_training": needs["training"],
                "needs_testing": needs["testing"],
                "answers": self._answers(round_, rng),
                # The demo's start-ups consent to share with the providers they need (§12).
                "share_fund": needs["fund"],
                "share_training": needs["training"],
                "share_testing": needs["testing"],
            },
        )
        if not created:
            return
        if target != Status.DRAFT:
            self._pitch_deck(application)
        founder = startup.members.first()
        for step in PATHS[target]:
            by_startup = step in {Status.SUBMITTED, Status.WITHDRAWN}
            if step == Status.UNDER_REVIEW:
                # The first assignment moves the application under review (reviews/services.py).
                self._review(application, reviewers, coordinator, rng, submitted=target != step)
                continue
            transition_application(
                application=application,
                to_status=step,
                actor=founder if by_startup else coordinator,
                note="" if by_startup else "Decided at the panel meeting.",
            )

    def _answers(self, round_, rng) -> dict:
        """Realistic answers to the demo round's questions (those it has)."""
        keys = set(round_.questions.values_list("key", flat=True))
        licences = ["sfc-type-1", "sfc-type-4", "sfc-type-9", "vasp", "macau-amcm"]
        answers = {
            "chain": rng.choice(
                ["ethereum", "fisco-bcos", "hyperledger-fabric", "conflux", "other"]
            ),
            "issues_token": rng.random() < 0.3,
            "licences": sorted(rng.sample(licences, rng.randint(0, 2)), key=licences.index),
            "pilot_partner": rng.choice(PILOT_PARTNERS),
        }
        return {k: v for k, v in answers.items() if k in keys and v not in ("", [])}

    def _pitch_deck(self, application):
        attachment = Attachment(
            application=application,
            kind=AttachmentKind.PITCH_DECK,
            original_name="pitch-deck.pdf",
            size=len(DEMO_PDF),
            content_type="application/pdf",
            sha256=hashlib.sha256(DEMO_PDF).hexdigest(),
        )
        attachment.file.save("pitch-deck.pdf", ContentFile(DEMO_PDF), save=False)
        attachment.save()

    def _review(self, application, reviewers, coordinator, rng, *, submitted):
        """Three non-conflicted reviewers, the least loaded first, through the reviewing
        services; every review is submitted once a decision exists. Each reviewer has a
        leniency of their own, so the normalised ranking and the statistics have work to do."""
        conflicted = set(
            ConflictOfInterest.objects.filter(startup=application.startup).values_list(
                "reviewer_id", flat=True
            )
        )
        loads = dict(
            Assignment.objects.filter(application__round=application.round)
            .values("reviewer")
            .annotate(n=Count("id"))
            .values_list("reviewer", "n")
        )
        eligible = sorted(
            (r for r in reviewers if r.pk not in conflicted),
            key=lambda r: (loads.get(r.pk, 0), rng.random()),
        )
        criteria = list(application.round.criteria.all())
        strengths = rng.sample(STRENGTHS, 3)
        concerns = rng.sample(CONCERNS, 3)
        for position, reviewer in enumerate(eligible[:3]):
            assignment = assign_reviewer(
                application=application, reviewer=reviewer, actor=coordinator
            )
            if not (submitted or position < 2):
                continue
            leniency = LENIENCY[reviewer.username]
            scores = {
                criterion.pk: min(
                    criterion.max_score,
                    max(
                        1,
                        rng.randint(max(1, criterion.max_score // 3), criterion.max_score)
                        + round(leniency * criterion.max_score / 10),
                    ),
                )
                for criterion in criteria
            }
            save_review(
                review=assignment.review,
                actor=reviewer,
                scores=scores,
                recommendation=rng.choice(Recommendation.values),
                confidence=rng.randint(2, 5),
                comment=f"{strengths[position]} {concerns[position]}",
            )
            submit_review(review=assignment.review, actor=reviewer)


# Score offsets on a ten-point scale: a harsh and a lenient reviewer among the panel.
LENIENCY = {
    "reviewer": 0,
    "reviewer.wong": -2,
    "reviewer.li": 1,
    "reviewer.zhang": -1,
    "reviewer.lam": 2,
    "reviewer.sousa": 0,
}


PROJECT_NOUNS = [
    "Trace",
    "Settle",
    "Registry",
    "Passport",
    "Vault",
    "Exchange",
    "Oracle",
    "Bridge",
]
