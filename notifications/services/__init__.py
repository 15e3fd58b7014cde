"""What the notification pages, the API and the workers do (the models'
rules in one place; views and tasks call these)."""
