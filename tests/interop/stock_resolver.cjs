// Resolves one did:ethr with the stock resolver from npm (ethr-did-resolver + did-resolver),
// against a registry on a JSON-RPC node: node stock_resolver.cjs RPC REGISTRY DID
const { Resolver } = require('did-resolver')
const { getResolver } = require('ethr-did-resolver')

async function main() {
  const [rpcUrl, registry, did] = process.argv.slice(2)
  const chainId = did.split(':')[2]
  const resolver = new Resolver(getResolver({ networks: [{ chainId, rpcUrl, registry }] }))
  const result = await resolver.resolve(did)
  process.stdout.write(JSON.stringify(result))
}

main().catch((e) => {
  process.stderr.write(String(e && e.stack ? e.stack : e))
  process.exitCode = 1
})
