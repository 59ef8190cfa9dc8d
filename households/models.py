# Models of this app arrive with their issue; the app is installed so that they have a home.
