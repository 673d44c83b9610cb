"""Security tests: who may use each route, CSRF, headers and cookies, redirects, XSS, injection, fuzzing."""
