"""Views of the push notification pages: ``notifications`` (the apps, an
app's notifications, writing, sending and cancelling one, its page) and
``credentials`` (an app's WNS credentials)."""
