"""Services built on the registries: rule-decided steps (秒批), proactive offers (免申即享)
and objections (PIPL art. 46)."""
