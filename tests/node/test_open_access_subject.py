"""Open access is access to data about no one (review s26, N-1).

An Unconditional category is open data: any active STAFF key records an open access
(``AccessGrants.recordOpenAccess``, whose ``AccessRecorded`` names subject zero) and the owner's
node releases the record. Before, the node accepted any ``subject`` in such a request and
released the record bound to that citizen, while the chain's only trace named no subject: a
category of citizens' records reclassified Unconditional (one ADMIN key of the owner,
``DataCatalog.updateCategory``) was readable by any STAFF key with no grant, no consent and
nothing in the citizen's access history. Now the node refuses an open request that names a
subject (``subject_mismatch``); a record bound to a citizen is released only under a grant of
hers, whose access record names her.
"""

from __future__ import annotations

from typing import Any

import pytest

from govchain.node.chain import RpcChain
from govchain.node.client import DataNodeClient, NodeRefused
from govchain.sharing import SharingClass
from tests.node.conftest import (  # noqa: F401 (fixtures)
    PENSION,
    POLICY,
    Holdings,
    addresses,
    catalog,
    cats,
    civil_staff,
    grants,
    grants_domain,
    hrss,
    local,
    node,
    node_url,
    reader,
    registry,
    rpc_url,
    w3,
)
from tests.sharing.conftest import SCHEMA


def test_an_open_request_naming_a_citizen_is_refused_even_if_her_category_was_made_open(
    grants: Any,  # noqa: F811
    catalog: Any,  # noqa: F811
    depts: Any,
    hrss: Holdings,  # noqa: F811
    node_url: str,  # noqa: F811
    reader: RpcChain,  # noqa: F811
    civil_staff: Any,  # noqa: F811
) -> None:
    alice = hrss.citizen
    # the review's probe: one ADMIN key of HRSS reclassifies the pension records as open data
    catalog.updateCategory(
        PENSION, int(SharingClass.UNCONDITIONAL), False, SCHEMA, 0, sender=depts["HRSS"].admin
    )
    client = DataNodeClient(reader, local(civil_staff))
    prepared = client.prepare(None, PENSION, hrss.ids["pension"], subject=alice.address)
    tx = grants.recordOpenAccess(PENSION, b"\x01" * 32, prepared.digest, sender=civil_staff)
    with pytest.raises(NodeRefused) as e:
        client.fetch(node_url, prepared, str(tx.txn_hash))
    assert (e.value.status, e.value.reason) == (403, "subject_mismatch")
    assert "about no one" in str(e.value)
    # without a subject the request names no record of hers: the pension is bound to Alice
    anonymous = client.prepare(None, PENSION, hrss.ids["pension"])
    tx = grants.recordOpenAccess(PENSION, b"\x02" * 32, anonymous.digest, sender=civil_staff)
    with pytest.raises(NodeRefused) as e:
        client.fetch(node_url, anonymous, str(tx.txn_hash))
    assert e.value.status in (403, 404)


def test_open_data_about_no_one_is_still_released(
    grants: Any,  # noqa: F811
    hrss: Holdings,  # noqa: F811
    node_url: str,  # noqa: F811
    reader: RpcChain,  # noqa: F811
    civil_staff: Any,  # noqa: F811
) -> None:
    client = DataNodeClient(reader, local(civil_staff))
    prepared = client.prepare(None, POLICY, hrss.ids["policy"])
    tx = grants.recordOpenAccess(POLICY, b"\x03" * 32, prepared.digest, sender=civil_staff)
    assert client.fetch(node_url, prepared, str(tx.txn_hash)).content == b"pension policy text"
