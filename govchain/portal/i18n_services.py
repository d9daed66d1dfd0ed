# ruff: noqa: RUF001 (Chinese text uses full-width punctuation)
"""The portal's words for offers (免申即享) and objections (异议), English and Chinese: merged
into :data:`govchain.portal.i18n.MESSAGES`."""

from __future__ import annotations

SERVICES_MESSAGES: dict[str, tuple[str, str]] = {
    "nav.offers": ("Offers for me", "免申即享"),
    "nav.objections": ("My objections", "我的异议"),
    "nav.objection_inbox": ("Objections", "异议处理"),
    "nav.overdue": ("Overdue objections", "逾期异议"),
    "offers.title": ("Services offered to me (免申即享)", "免申即享：主动为我提供的服务"),
    "offers.intro": (
        "Departments found that you qualify for these services from facts they already hold. "
        "Each offer was sent only to you, sealed to your key; nothing about it is on chain. "
        "Accepting takes one signature; the department sends it and pays.",
        "各部门根据已掌握的事实发现您符合以下服务的条件。每项服务仅加密发送给您本人，"
        "链上没有任何记录。接受只需一次签名，由部门代为上链并支付费用。",
    ),
    "offers.none": ("No department offers you a service now.", "目前没有部门为您提供服务。"),
    "offers.expires": ("Open until", "有效期至"),
    "offers.benefit": ("What you receive", "您将获得"),
    "offers.benefit_text": ("a benefit attested by", "由以下部门出具的待遇证明："),
    "offers.covers": ("What your consent covers", "您的同意涵盖"),
    "offers.cover_fact": ("your attestation of", "您的证明（模式"),
    "offers.cover_by": ("issued by", "），出具部门"),
    "offers.cover_age": ("at most", "不早于"),
    "offers.days": ("days old", "天前"),
    "offers.cover_use": (
        "used only to decide this application, by",
        "仅用于审核本次申请，使用部门：",
    ),
    "offers.consent_text": ("Exact consent text signed", "签名的同意原文"),
    "offers.accept_note": (
        "One signature: your application and your consent. You send no transaction and pay "
        "nothing.",
        "一次签名即完成申请并同意。您无需发送交易，也无需支付任何费用。",
    ),
    "offers.accept": ("Accept (sign once)", "接受（签名一次）"),
    "offers.signed": (
        "Accepted: your signature is with the department, which sends it on chain.",
        "已接受：您的签名已交给部门，由部门上链。",
    ),
    "offers.case": ("Case", "办件"),
    "offers.granted_as": ("Benefit granted (attestation)", "待遇已发放（证明）"),
    "offers.refused_why": ("Why it was refused", "未通过原因"),
    "offers.state.offered": ("offered", "待接受"),
    "offers.state.signed": ("signed, waiting for the department", "已签名，等待部门上链"),
    "offers.state.accepted": ("granted", "已发放"),
    "offers.state.refused": ("refused by the chain", "链上拒绝"),
    "offers.withdrawn": (
        "This offer was withdrawn: the department no longer offers the service.",
        "该服务已撤回：部门不再提供此项服务。",
    ),
    "offers.not_met": (
        "You no longer meet the service's rule: a fact it needs is no longer attested "
        "(revoked, expired or too old).",
        "您已不再符合该服务的规则：所需的某项事实证明已撤销、过期或过旧。",
    ),
    "offers.granted": (
        "You already hold this benefit.",
        "您已享有该项待遇。",
    ),
    "offers.not_open": (
        "This offer was already accepted.",
        "该服务已接受过。",
    ),
    "offers.unreadable": ("(cannot be opened with this key)", "（无法用此密钥打开）"),
    "objections.title": ("My objections (PIPL art. 46)", "我的异议（个人信息保护法第四十六条）"),
    "objections.intro": (
        "If data about you is wrong, object to it. Your reason goes only to the department that "
        "owns the data, through its data node; the chain holds a salted commitment of it, the "
        "target and the deadline. The department's approvers decide before the deadline.",
        "如果关于您的数据有误，可以提出异议。异议理由仅通过数据节点发送给数据所属部门；"
        "链上只记录理由的加盐承诺、异议对象和处理期限。部门审批人须在期限前作出决定。",
    ),
    "objections.none": ("No objections.", "暂无异议。"),
    "objections.target": ("Objected to", "异议对象"),
    "objections.owner": ("Department", "部门"),
    "objections.reason": ("Reason", "理由"),
    "objections.filed": ("Filed", "提出时间"),
    "objections.deadline": ("Decide by", "处理期限"),
    "objections.decision": ("Decision", "决定"),
    "objections.record": ("record", "档案"),
    "objections.attestation": ("attestation", "证明"),
    "objections.state.open": ("open", "处理中"),
    "objections.state.overdue": ("overdue", "已逾期"),
    "objections.state.upheld": ("upheld", "异议成立"),
    "objections.state.rejected": ("rejected", "异议驳回"),
    "objections.state.withdrawn": ("withdrawn", "已撤回"),
    "objections.upheld_note": (
        "corrected (attestation revoked, or record corrected as version)",
        "已更正（证明已撤销，或档案已更正为版本）",
    ),
    "objections.read_rejection": ("Read the reason", "查看驳回理由"),
    "objections.resend": ("send the reason again", "重新发送理由"),
    "objections.file": ("Object to data about me", "对我的数据提出异议"),
    "objections.to_attestation": ("An attestation about me", "关于我的证明"),
    "objections.to_record": (
        "A record about me (its category and id)",
        "关于我的档案（类别和编号）",
    ),
    "objections.file_note": (
        "Filing sends one transaction from your key. Your reason is kept on this computer and "
        "sent to the department's node; only its salted commitment goes on chain.",
        "提出异议将由您的密钥发送一笔交易。理由保存在本机并发送至部门数据节点；"
        "链上仅记录其加盐承诺。",
    ),
    "objections.file_button": ("File the objection", "提交异议"),
    "objections.filed_done": ("Objection filed.", "异议已提交。"),
    "objections.reason_bad": (
        "Write the reason (at most 2000 characters).",
        "请填写理由（不超过 2000 字）。",
    ),
    "objections.choose": ("Choose what you object to.", "请选择异议对象。"),
    "objections.category_bad": (
        "Give the record's category, e.g. HRSS.PENSION.",
        "请填写档案类别，如 HRSS.PENSION。",
    ),
    "objections.record_bad": ("Give the record's id.", "请填写档案编号。"),
    "objections.no_note": ("No reason is kept on this computer.", "本机未保存理由。"),
    "objections.no_node": ("The department has no data node registered.", "该部门未登记数据节点。"),
    "objections.no_rejection": ("There is no rejection to read.", "没有可查看的驳回理由。"),
    "objections.inbox": ("Objections to our data", "针对本部门数据的异议"),
    "objections.inbox_intro": (
        "Objections citizens filed to our attestations and records, overdue first.",
        "公民对本部门证明和档案提出的异议，逾期的排在最前。",
    ),
    "objections.pending": ("Pending", "待处理"),
    "objections.decided_list": ("Decided", "已处理"),
    "objections.subject": ("Citizen", "公民"),
    "objections.open": ("Open", "打开"),
    "objections.one": ("Objection", "异议"),
    "objections.read_reason": (
        "Read the reason (signed request to our node)",
        "查看理由（向本部门节点发送签名请求）",
    ),
    "objections.object_here": ("Object to it", "提出异议"),
    "objections.collected": ("Signatures collected for this decision", "本决定已收集的签名"),
    "objections.k_of_n": ("Approvers' signatures needed", "所需审批人签名数"),
    "objections.decide": ("Decide", "作出决定"),
    "objections.uphold": ("Uphold", "异议成立"),
    "objections.reject": ("Reject", "驳回"),
    "objections.rejection_reason": (
        "Reason for the citizen (kept off chain)",
        "给公民的驳回理由（不上链）",
    ),
    "objections.corrected_version": ("Corrected version (anchored)", "更正后的版本（已锚定）"),
    "objections.uphold_note": (
        "Upholding needs the attestation revoked first, or the corrected record anchored.",
        "异议成立前须先撤销该证明，或锚定更正后的档案。",
    ),
    "objections.sign": ("Sign this decision", "签署该决定"),
    "objections.cosign": ("Co-sign this decision", "联署该决定"),
    "objections.signed": (
        "Your signature is collected; it is submitted once enough approvers sign.",
        "您的签名已收集；签名人数足够后即可提交。",
    ),
    "objections.decided": ("Decision sent.", "决定已上链。"),
    "objections.group_gone": (
        "These signatures are no longer valid or not enough.",
        "这些签名已失效或数量不足。",
    ),
    "objections.version_bad": ("Give a version number.", "请填写版本号。"),
    "objections.no_folder": (
        "Signing needs the department's shared signatures folder (--signatures DIR).",
        "签名需要部门共享签名文件夹（--signatures DIR）。",
    ),
    "objections.overdue_title": ("Overdue objections", "逾期未处理的异议"),
    "objections.overdue_intro": (
        "Open objections past their deadline, from the event index (as govchain audit objections).",
        "已过处理期限仍未决定的异议，来自事件索引（同 govchain audit objections）。",
    ),
    "objections.id": ("Objection", "异议"),
    "objections.days_over": ("Days overdue", "逾期天数"),
    "objections.none_overdue": ("No overdue objections.", "没有逾期异议。"),
}
