"""The department data node: store, publisher with an anchoring outbox, HTTP service, clients.

- :mod:`govchain.node.store` — SQLAlchemy models (records, outbox, batches, nonces, serve log).
- :mod:`govchain.node.publisher` — :class:`Publisher` (record + outbox row, one transaction) and
  :class:`AnchorWorker` (anchors exactly once, singly or in Merkle batches).
- :mod:`govchain.node.anchors` — the :class:`AnchorSink` interface and its chain implementation.
- :mod:`govchain.node.chain` — the chain reads (:class:`ChainView`, :class:`RpcChain`).
- :mod:`govchain.node.messages` — EIP-712 ``DataRequest`` and ``SubjectRequest``.
- :mod:`govchain.node.server` — :func:`create_app`, :func:`serve`.
- :mod:`govchain.node.client` — :class:`DataNodeClient`, :class:`CitizenClient`.
"""
