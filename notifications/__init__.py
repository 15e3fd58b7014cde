"""Push notifications to an app's customers, delivered through WNS.

Channels (the Windows notification channels an app registers for its
customers), the per-app WNS credentials, notifications and their deliveries,
and the workers that deliver them at most once per channel. Imports
``engagement`` and ``customers``; neither imports it (design.md §2).
"""
