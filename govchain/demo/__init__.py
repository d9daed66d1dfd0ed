"""``make demo``: the reference scenario of DESIGN.md, played on a fresh devnet.

An elderly citizen with a disability applies once to Civil Affairs for a living subsidy; the
departments share, verify and approve on the chain. :mod:`.scenario` plays it with the real SDK,
the real data nodes (``govchain node serve`` processes) and the real CLI; :mod:`.persona` holds
the fictional citizen's personal data (which must never reach the chain: the privacy test scans
for it); :mod:`.narrator` prints what happens and why.
"""
