# ruff: noqa: RUF001 (Chinese text uses full-width punctuation)
"""The portal's words in English and Chinese: one small catalog, no i18n framework.

``MESSAGES[key] = (english, chinese)``. The language is the ``lang`` cookie when set (the switch
in every page's header), else zh-CN when the browser's Accept-Language prefers Chinese, else
English. A missing key shows the key itself, so an untranslated word is visible, not hidden.
"""

from __future__ import annotations

LANGUAGES = ("zh", "en")

MESSAGES: dict[str, tuple[str, str]] = {
    "portal": ("govchain portal", "政务链门户"),
    "lang.other": ("中文", "English"),
    "nav.home": ("Home", "首页"),
    "nav.timeline": ("My data use", "我的数据使用记录"),
    "nav.consents": ("My consents", "我的授权"),
    "nav.inbox": ("Case inbox", "待办审批"),
    "nav.audit": ("Anomalies", "异常审计"),
    "nav.stats": ("Statistics", "统计"),
    "nav.logout": ("Log out", "退出"),
    "login.title": ("Unlock your key", "解锁您的密钥"),
    "login.key": ("Key", "密钥"),
    "login.passphrase": ("Passphrase", "口令"),
    "login.submit": ("Unlock", "解锁"),
    "login.wrong": ("Wrong passphrase.", "口令错误。"),
    "login.empty": ("Enter the passphrase.", "请输入口令。"),
    "login.expired": ("Your session ended; unlock again.", "会话已过期，请重新解锁。"),
    "login.wait": (
        "Too many wrong passphrases; try again in {n} s.",
        "口令错误次数过多，请 {n} 秒后再试。",
    ),
    "login.note": (
        "The key is decrypted and used by this portal process on your computer; "
        "it never reaches the browser.",
        "密钥仅在您本机的门户进程中解密和签名，绝不会发送到浏览器。",
    ),
    "banner.chain": ("The chain is unreachable", "区块链节点无法连接"),
    "banner.index": ("The event index is unavailable", "事件索引不可用"),
    "banner.node": ("A data node is unreachable", "数据节点无法连接"),
    "banner.stale": (
        "pages show what was read before.",
        "页面显示此前已读取的数据。",
    ),
    "home.title": ("Welcome", "欢迎"),
    "home.address": ("Your key's address", "您的密钥地址"),
    "home.roles": ("Your roles on chain", "您在链上的角色"),
    "home.citizen": ("Citizen (my data)", "公民（我的数据）"),
    "home.unknown_roles": (
        "Roles could not be read (the chain is unreachable).",
        "无法读取角色（区块链不可达）。",
    ),
    "role.STAFF": ("Staff", "经办人"),
    "role.APPROVER": ("Approver", "审批人"),
    "role.ADMIN": ("Administrator", "管理员"),
    "role.AUDITOR": ("Auditor", "审计员"),
    "role.of": ("of", "所属"),
    "timeline.title": ("Who used my data", "谁使用了我的数据"),
    "timeline.intro": (
        "Every access a department recorded on chain before it received your data.",
        "每一次部门在获取您的数据之前都必须在链上登记的访问记录。",
    ),
    "timeline.from": ("From", "开始日期"),
    "timeline.to": ("To", "结束日期"),
    "timeline.department": ("Department", "部门"),
    "timeline.any": ("Any", "全部"),
    "timeline.filter": ("Filter", "筛选"),
    "timeline.csv": ("Download CSV", "下载 CSV"),
    "timeline.none": ("No recorded access.", "暂无访问记录。"),
    "timeline.total": ("accesses", "条访问记录"),
    "timeline.page": ("Page", "第"),
    "timeline.prev": ("Previous", "上一页"),
    "timeline.next": ("Next", "下一页"),
    "col.time": ("Time", "时间"),
    "col.department": ("Department", "部门"),
    "col.official": ("Official's key", "经办人密钥"),
    "col.category": ("Data", "数据项"),
    "col.purpose": ("Purpose", "用途"),
    "col.basis": ("Legal basis", "法律依据"),
    "col.grant": ("Grant", "授权"),
    "col.record": ("On-chain record", "链上记录"),
    "col.owner": ("Held by", "数据持有部门"),
    "col.status": ("Status", "状态"),
    "col.window": ("Valid", "有效期"),
    "col.uses": ("Uses", "使用次数"),
    "basis.CONSENT": ("Your consent", "本人授权"),
    "basis.STATUTORY_DUTY": ("Statutory duty", "法定职责"),
    "basis.OWNER_APPROVAL": ("Owner department's approval", "数据部门审批"),
    "basis.OPEN": ("Open data (no grant)", "无条件共享（无需授权）"),
    "purpose.unknown": ("purpose text not provided; hash", "未提供用途原文；哈希"),
    "purpose.legacy": ("(legacy grant: unsalted hash)", "（旧授权：哈希未加盐）"),
    "purpose.legacy_note": (
        "made before purposes were salted: its hash on chain is keccak256 of the text alone",
        "用途加盐之前的授权：链上哈希仅为原文的 keccak256",
    ),
    "error.invalid_date": ("Not a date (YYYY-MM-DD).", "日期格式应为 YYYY-MM-DD。"),
    "error.date_order": ("The end is before the start.", "结束日期早于开始日期。"),
    "error.unknown_department": ("No such department.", "没有该部门。"),
    "error.page": ("Not a page number.", "页码无效。"),
    "error.csrf": (
        "The form expired or did not come from this portal; reload and try again.",
        "表单已失效或并非来自本门户，请刷新后重试。",
    ),
    "error.forbidden": (
        "Your key is not entitled to this page.",
        "您的密钥无权查看此页面。",
    ),
    "error.not_found": ("No such page.", "页面不存在。"),
    "error.too_large": (
        "The form or file is too large; nothing was read.",
        "表单或文件过大，未读取任何内容。",
    ),
    "error.host": (
        "This portal answers only its own address: open http://127.0.0.1:<port>/ yourself.",
        "本门户只响应它自己的地址：请自行打开 http://127.0.0.1:<端口>/。",
    ),
    "error.elsewhere": (
        "Another site or another program on this computer sent this request; the portal did "
        "not act on it. Open the portal's address yourself.",
        "该请求来自其他网站或本机其他程序，门户未处理。请自行打开门户地址。",
    ),
    "error.refused": ("Refused", "被拒绝"),
    "error.unexpected": (
        "Something went wrong; the portal logged it. Nothing was signed.",
        "出现意外错误，已记录日志。未进行任何签名。",
    ),
    "consents.title": ("My consents", "我的授权"),
    "consents.live": ("Live", "有效"),
    "consents.ended": ("Expired, used up or revoked", "已过期、已用完或已撤销"),
    "consents.none": ("None.", "无。"),
    "consents.revoke": ("Revoke", "撤销"),
    "consents.revoke_confirm": (
        "Revoke this consent now? The department can no longer use it.",
        "确定立即撤销此授权？该部门将无法再使用。",
    ),
    "consents.revoke_yes": ("Yes, revoke and sign", "确认撤销并签名"),
    "consents.cancel": ("Cancel", "取消"),
    "consents.revoked": ("Consent revoked in transaction", "授权已撤销，交易"),
    "consents.given": ("Consent given in transaction", "授权已生效，交易"),
    "give.title": ("Give a consent", "新增授权"),
    "give.grantee": ("Organisation that may use the data", "使用数据的机构"),
    "give.owner": ("Department that holds the data", "持有数据的部门"),
    "give.purpose": ("Purpose (one stated purpose)", "用途（仅一项）"),
    "give.items": ("Exact data items", "具体数据项"),
    "give.until": ("Until (date)", "截止日期"),
    "give.max_uses": ("Use limit (0 = no limit)", "使用次数上限（0 = 不限）"),
    "give.review": ("Review", "确认内容"),
    "give.sign": ("Sign and give consent", "签名并授权"),
    "give.summary": (
        "You are about to sign this consent with your key:",
        "您将用您的密钥签署以下授权：",
    ),
    "give.choose": ("Choose one.", "请选择一项。"),
    "give.no_items": ("Choose at least one data item.", "请至少选择一个数据项。"),
    "give.item_owner": (
        "A data item of another department was chosen.",
        "所选数据项不属于该部门。",
    ),
    "give.until_past": ("The date must be in the future.", "日期必须晚于今天。"),
    "give.max_uses_bad": ("A whole number from 0.", "请输入不小于 0 的整数。"),
    "give.purpose_bad": ("Write the purpose (1 to 200 characters).", "请填写用途（1 至 200 字）。"),
    "status.LIVE": ("live", "有效"),
    "status.EXPIRED": ("expired", "已过期"),
    "status.REVOKED": ("revoked", "已撤销"),
    "status.USED_UP": ("used up", "已用完"),
    "status.NOT_YET_VALID": ("not yet valid", "尚未生效"),
    "status.PREVIOUS_KEY": ("given under a previous key", "旧密钥授权，待确认"),
    "record.title": ("On-chain record", "链上记录"),
    "record.tx": ("Transaction", "交易"),
    "record.block": ("Block", "区块"),
    "record.event": ("Event", "事件"),
    "record.none": ("No indexed event in this transaction.", "该交易没有已索引的事件。"),
    "inbox.title": ("Cases awaiting my department", "待本部门审批的案件"),
    "inbox.none": ("No case awaits your department.", "暂无待审批案件。"),
    "case.title": ("Case", "案件"),
    "case.id": ("Case id", "案件编号"),
    "case.status": ("Status", "状态"),
    "case.accepting": ("Accepting department", "受理部门"),
    "case.applicant": ("Applicant", "申请人"),
    "case.opener": ("Opened by", "受理人"),
    "case.documents": ("Documents (Merkle root)", "电子材料（默克尔根）"),
    "case.route": ("Route", "审批流程"),
    "case.step": ("Step", "环节"),
    "case.threshold": ("Approvers needed", "所需审批人数"),
    "case.deadline": ("Deadline", "截止时间"),
    "case.progress": ("Progress", "进度"),
    "case.decisions": ("Decisions", "审批意见"),
    "case.signers": ("Signed by", "签名人"),
    "case.none": ("No decision yet.", "尚无审批意见。"),
    "case.voted": ("You voted", "您已投票"),
    "case.decide": ("Decide this step", "审批本环节"),
    "case.approve": ("Approve", "同意"),
    "case.reject": ("Reject", "不同意"),
    "case.comment": (
        "Comment (kept off chain; its commitment is signed)",
        "意见（不上链，仅签署其承诺值）",
    ),
    "case.comment_long": ("At most 500 characters.", "最多 500 字。"),
    "case.review": ("Review the e-signature", "查看电子签名内容"),
    "case.typed": (
        "This is exactly the EIP-712 typed data your key will sign:",
        "以下是您的密钥将要签署的 EIP-712 结构化数据（完整内容）：",
    ),
    "case.digest": ("Digest", "摘要"),
    "case.sign": ("Sign with my key", "用我的密钥签名"),
    "case.vote_note": (
        "This step needs several approvers: your decision is sent as your on-chain vote.",
        "本环节需要多名审批人：您的意见将作为链上投票提交。",
    ),
    "case.done": ("Decision sent in transaction", "审批已提交，交易"),
    "progress.done": ("done", "已完成"),
    "progress.open": ("awaiting decision", "待审批"),
    "progress.waiting": ("waiting", "未开始"),
    "progress.rejected": ("rejected", "已驳回"),
    "verdict.True": ("approved", "同意"),
    "verdict.False": ("rejected", "不同意"),
    "audit.title": ("Anomalies", "异常"),
    "audit.misuse": (
        "Misuse audit: data node serve logs against on-chain access records",
        "滥用审计：数据节点发放日志与链上访问记录比对",
    ),
    "audit.no_stores": (
        "No data-node store was given to this portal (--store DEPT=FILE): the misuse audit cannot run.",
        "未向门户提供数据节点库（--store 部门=文件），无法进行滥用审计。",
    ),
    "audit.served_not_recorded": ("Served but not recorded", "已发放但未登记"),
    "audit.recorded_not_served": (
        "Recorded but not served (for information)",
        "已登记但未发放（仅供参考）",
    ),
    "audit.clean": (
        "Clean: every release matches an access record.",
        "正常：每次发放均有对应的访问记录。",
    ),
    "audit.releases": ("releases read", "条发放记录"),
    "audit.matched": ("matched", "条匹配"),
    "audit.requester": ("Released to", "发放给"),
    "audit.reason": ("Why", "原因"),
    "audit.served_at": ("Served at", "发放时间"),
    "audit.bulk": ("Bulk access", "批量访问"),
    "audit.threshold": ("More than (accesses)", "超过（次访问）"),
    "audit.hours": ("in the last (hours)", "最近（小时）"),
    "audit.hours_bad": ("From 1 to 8784 hours.", "请输入 1 至 8784 小时。"),
    "audit.subjects": ("Citizens", "涉及公民"),
    "audit.none": ("None.", "无。"),
    "audit.refused_note": (
        "The chain refuses an access under a revoked or expired grant without an event; the "
        "attempt shows only in the data node's access log. Attempts under ended grants come first.",
        "在已撤销或已过期授权下尝试的访问会被链拒绝且不产生事件，只记录在数据节点的访问日志中。"
        "已失效授权下的尝试排在最前。",
    ),
    "audit.refused": (
        "Refused accesses (data nodes' access logs)",
        "被拒绝的访问（数据节点访问日志）",
    ),
    "audit.no_logs": (
        "No data node's access log was given to this portal (--access-log DEPT=FILE).",
        "未向门户提供数据节点访问日志（--access-log 部门=文件）。",
    ),
    "audit.outcome.served": ("served", "已发放"),
    "audit.outcome.refused": ("refused", "已拒绝"),
    "audit.outcome.error": ("errors", "出错"),
    "audit.skipped": ("unreadable lines", "无法解析的行"),
    "audit.signer": ("Signed by", "签名人"),
    "audit.signer_dept": ("Signer's department", "签名人所属部门"),
    "audit.last": ("Last attempt", "最近一次"),
    "audit.attempts": ("Attempts", "次数"),
    "stats.failures": ("Failures per department", "各部门失败统计"),
    "stats.served_at_node": ("Served by its node", "其节点已发放"),
    "stats.refused_at_node": ("Refused by its node", "其节点已拒绝"),
    "stats.errors_at_node": ("Errors at its node", "其节点出错"),
    "stats.attempts_refused": ("Its officials' refused attempts", "其人员被拒绝的请求"),
    "stats.requests_rejected": ("Its sharing requests rejected", "其共享申请被拒绝"),
    "stats.failures_note": (
        "Node counts come from the data nodes' access logs given to this portal; sharing "
        "requests rejected by the data's owner come from the chain. A transaction the chain "
        "reverted leaves no event and is not counted.",
        "节点计数来自提供给门户的数据节点访问日志；被数据持有方拒绝的共享申请来自链上事件。"
        "被链回滚的交易不产生事件，不计入。",
    ),
    "stats.title": ("Statistics per department", "各部门统计"),
    "stats.chart": ("Access records per department", "各部门访问记录"),
    "stats.made": ("Requests made", "发起的请求"),
    "stats.to_data": ("Requests for its data", "对其数据的请求"),
    "stats.graph": (
        "Who reads from whom (requests made → data holder)",
        "数据流向（请求方 → 数据持有方）",
    ),
    "stats.per_day": ("Requests made per day", "每日发起的请求"),
    "nav.data": ("My records", "我的档案"),
    "space.title": ("Records departments hold about me", "各部门持有的我的档案"),
    "space.intro": (
        "Each department's data node lists the records it holds about you; each is checked against its anchor on chain.",
        "各部门数据节点列出其持有的关于您的档案，每一条都已与链上锚定值核对。",
    ),
    "space.record": ("Record", "档案"),
    "space.version": ("Version", "版本"),
    "space.anchor": ("Anchor", "锚定"),
    "space.fetch": ("Fetch and verify", "获取并核验"),
    "space.none": ("No record about you.", "没有关于您的档案。"),
    "space.nobody": ("No department's node answered with records.", "没有部门节点返回档案。"),
    "space.verified": ("Verified against its anchor:", "已与链上锚定核验一致："),
    "space.decrypted": ("Decrypted on this machine with your key", "已在本机用您的密钥解密"),
    "space.hash": ("Record hash", "档案哈希"),
    "nav.attestations": ("Attestations", "证明"),
    "att.mine": ("Attestations about me", "关于我的证明"),
    "att.explorer": ("Attestations explorer", "证明查询"),
    "att.issuer": ("Issuer (department)", "出具部门"),
    "att.attester": ("Attesting key", "出具人密钥"),
    "att.schema": ("Schema", "证明类型"),
    "att.subject": ("Subject (identity)", "主体（身份地址）"),
    "att.expiry": ("Valid until", "有效期至"),
    "att.no_expiry": ("no expiry", "长期有效"),
    "att.valid": ("valid", "有效"),
    "att.expired": ("expired", "已过期"),
    "att.revoked": ("revoked", "已撤销"),
    "audit.tamper": (
        "Tamper audit: stored records against their anchors",
        "篡改审计：库内记录与链上锚定比对",
    ),
    "audit.records": ("records checked", "条记录已核对"),
    "nav.requests": ("Sharing requests", "共享申请"),
    "req.title": ("Sharing requests for our data", "对本部门数据的共享申请"),
    "req.pending": ("Awaiting a decision", "待审批"),
    "req.decided": ("Decided or expired", "已决定或已过期"),
    "req.reason": ("Reason (kept off chain)", "理由（不上链）"),
    "nav.recovery": ("Recovery", "账户恢复"),
    "rec.title": ("Recovery of my identity", "身份恢复"),
    "rec.guardians": ("My guardians", "我的监护人"),
    "rec.delay": ("time lock", "时间锁"),
    "rec.no_guardians": ("No guardians: recovery is off.", "未设置监护人：恢复功能关闭。"),
    "rec.pending": ("Pending recovery", "进行中的恢复"),
    "rec.new_owner": ("New owner key", "新所有者密钥"),
    "rec.support": ("Guardians' support", "监护人支持"),
    "rec.ready": ("Can complete after", "可完成时间"),
    "rec.not_queued": ("not enough support yet", "支持人数不足"),
    "rec.none": ("No recovery is pending.", "没有进行中的恢复。"),
    "rec.cancel": ("Cancel every pending recovery (sign)", "取消全部进行中的恢复（签名）"),
    "rec.queued": ("Queued change", "排队中的变更"),
    "rec.cancel_queued": ("Cancel the queued change (sign)", "取消排队中的变更（签名）"),
    "rec.cancelled": ("Cancelled.", "已取消。"),
    "nav.publishing": ("Publishing", "数据发布"),
    "pub.title": ("Publishing: stored and anchored records", "数据发布：已存储与已上链锚定"),
    "pub.no_store": (
        "This portal was not given the department's store (--store DEPT=FILE).",
        "未向门户提供本部门数据库（--store 部门=文件）。",
    ),
    "pub.anchored_of": ("records anchored on chain", "条记录已上链锚定"),
    "pub.stored": ("Stored", "已存储"),
    "pub.anchored": ("Anchored", "已锚定"),
    "pub.last_batch": ("Last batch", "最近一批"),
    "pub.leaves": ("Records in it", "包含记录"),
    "pub.waiting": ("Waiting or failed", "等待中或失败"),
    "pub.attempts": ("Attempts", "尝试次数"),
    "field.error": ("Check this field.", "请检查此项。"),
    "give.sign_only": (
        "Sign only: the department relays it, I pay nothing",
        "仅签名：由该部门代为上链，我无需支付费用",
    ),
    "give.sign_only_note": (
        "Sign only makes a signed-consent file here, on this computer, without sending a "
        "transaction; give it to the department (e-mail, counter), which puts it on chain and "
        "pays the fee. It takes effect once the department has relayed it.",
        "“仅签名”在本机生成已签名的授权文件，不发送交易；请将文件交给该部门（电子邮件、窗口），"
        "由其上链并支付费用。部门上链后授权生效。",
    ),
    "signed.title": ("Consent signed, to be relayed", "授权已签名，待部门上链"),
    "signed.done": (
        "Signed on this computer. Nothing was sent and nothing was paid.",
        "已在本机签名，未发送任何交易，未支付任何费用。",
    ),
    "signed.deadline": ("Relay before", "上链截止时间"),
    "signed.hand_over": (
        "Download the signed consent and give it to the department; it takes effect when the "
        "department relays it.",
        "请下载已签名的授权文件并交给该部门；部门上链后授权生效。",
    ),
    "signed.download": ("Download the signed consent", "下载已签名的授权"),
    "signed.cancel": ("Cancel it before it is relayed", "在上链前作废"),
    "consents.pending": ("Signed, waiting for the department to relay", "已签名，等待部门上链"),
    "nav.relay": ("Relay consents", "代办授权上链"),
    "relay.title": ("Relay a citizen's signed consent", "代为上链公民签名的授权"),
    "relay.note": (
        "Upload the signed-consent file a citizen gave us. Our key pays the transaction; the "
        "citizen pays nothing.",
        "上传公民提交的已签名授权文件。交易费用由本部门密钥支付，公民无需支付。",
    ),
    "relay.file": ("Signed-consent file (.json)", "已签名授权文件（.json）"),
    "relay.no_file": ("Choose the file.", "请选择文件。"),
    "relay.too_large": (
        "This file is too large to be a signed consent.",
        "文件过大，不是已签名授权。",
    ),
    "relay.review": ("Review the consent before relaying", "上链前核对授权内容"),
    "relay.citizen": ("Citizen (identity)", "公民（身份）"),
    "relay.signer": ("Signed by", "签名人"),
    "relay.purpose_mismatch": (
        "the file's purpose text does not match the signed hash",
        "文件中的用途原文与签名哈希不符",
    ),
    "relay.send": ("Relay on chain (our key pays)", "上链（本部门支付费用）"),
    "cosign.title": ("Signatures collected for this step", "本环节已收集的签名"),
    "cosign.note": (
        "This step needs several approvers. Each signs in their own portal; the signatures are "
        "collected in the department's shared folder, and any approver submits them once enough "
        "sign the same decision.",
        "本环节需要多名审批人。每人在各自门户中签名，签名汇集到部门共享文件夹；"
        "同一决定的签名达到人数后，任一审批人即可一并提交上链。",
    ),
    "cosign.count": ("Signatures", "签名数"),
    "cosign.decision": ("Decision", "决定"),
    "cosign.submit": ("Submit these signatures", "提交这些签名"),
    "cosign.waiting": ("waiting for more approvers", "等待其他审批人"),
    "cosign.none": ("No signature collected yet.", "尚未收集到签名。"),
    "cosign.unreadable": (
        "Files in the shared signatures folder that are not signed decisions (skipped)",
        "共享签名文件夹中不是已签名决定的文件（已跳过）",
    ),
    "cosign.signed": (
        "Your signature is collected; it is submitted with the others once enough approvers sign.",
        "您的签名已收集；签名人数足够后将一并提交。",
    ),
    "cosign.review_note": (
        "Signing does not send a transaction: your signature joins the others in the "
        "department's shared folder.",
        "签名不会发送交易：您的签名将与其他审批人的签名一起汇集到部门共享文件夹。",
    ),
    "relay.done": ("Consent relayed in transaction", "授权已上链，交易"),
}

from govchain.portal.i18n_services import SERVICES_MESSAGES  # noqa: E402 (merged below)

MESSAGES.update(SERVICES_MESSAGES)


def pick_language(cookie: str | None, accept_language: str | None) -> str:
    """``zh`` or ``en``: the cookie if valid, else the first of Accept-Language we speak."""
    if cookie in LANGUAGES:
        return cookie
    for part in (accept_language or "").split(","):
        tag = part.split(";")[0].strip().lower()
        if tag.startswith("zh"):
            return "zh"
        if tag.startswith("en"):
            return "en"
    return "en"


def translate(language: str, key: str) -> str:
    pair = MESSAGES.get(key)
    if pair is None:
        return key
    return pair[1] if language == "zh" else pair[0]
