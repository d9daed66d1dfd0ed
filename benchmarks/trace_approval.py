"""Where one more approval signature's gas goes (docs/gas.md, "Per extra approval signature").

A one-step decision with 5 and with 1 keys' signatures, sent as the SDK sends it (the access
list of :func:`govchain.approval.access.decision_access_list`) and, for comparison, without the
list; each transaction's opcode trace (:mod:`benchmarks.opcodetrace`) differenced per opcode and
call depth and divided by 4. What the trace does not show (calldata, the access list) is the
receipt's difference less the execution's.

Run: ``python -m govchain.toolchain.testrun benchmarks/trace_approval.py -s -p no:cacheprovider``
(prints the table; writes nothing).
"""

from __future__ import annotations

from typing import Any

from benchmarks.opcodetrace import difference, opcode_gas
from govchain.approval.access import decision_access_list
from tests.approval.conftest import Desk, h
from tests.helpers import ROLE_APPROVER, enrol


def test_trace_of_one_more_signature(
    approvals: Any,
    desk: Desk,
    depts: Any,
    citizens: Any,
    outsider: Any,
    departments: Any,
    accounts: Any,
    chain: Any,
) -> None:
    hrss = depts["HRSS"]
    for extra in (accounts[57], accounts[58]):
        enrol(departments, hrss.admin, extra, ROLE_APPROVER)
    five = [*hrss.approvers, accounts[57], accounts[58]]
    for listed in (True, False):
        receipts, traces = {}, {}
        for k in (1, 5):
            terms = desk.terms(
                [("HRSS", k), ("FINANCE", 1)], citizen=citizens[0], documents=h(f"t{k}")
            )
            cid = desk.open(terms)
            decision = desk.step_decision(cid, 0, five[:k])
            access = decision_access_list(
                departments.address, [(hrss.code, [a.address for a in five[:k]])]
            )
            with chain.isolate():
                receipts[k] = desk.submit(
                    cid, terms, [decision], sender=outsider, access_list=access if listed else None
                )
                traces[k] = opcode_gas(receipts[k])  # before the chain is reverted
        table = difference(traces[5], traces[1], 4)
        execution = sum(table.values())
        total = (int(receipts[5].gas_used) - int(receipts[1].gas_used)) / 4
        print(f"\n--- per extra signature, {'with' if listed else 'without'} the access list")
        for (depth, op), gas in sorted(table.items(), key=lambda kv: -abs(kv[1])):
            print(f"  depth {depth} {op:<14} {gas:>9.2f}")
        print(f"  execution {execution:,.2f}; calldata and access list {total - execution:,.2f}")
        print(f"  total {total:,.2f}")
        assert total > 0
