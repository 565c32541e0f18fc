"""OAuth 2.0 for the mail servers: the `Credentials` seam, and where access tokens come from.

The IMAP and SMTP adapters ask `credentials_for(settings)` how to log in and
never know more: a password (LOGIN, AUTH PLAIN/LOGIN) or a fresh access token
(XOAUTH2). Tokens come from MSAL (Microsoft 365, client credentials), from
google-auth (a Google service account with domain-wide delegation) or from any
OAuth 2.0 token endpoint (client credentials, or a stored refresh token that is
replaced by each new one the endpoint returns). They are cached in memory,
refreshed before they expire, and never logged: not in messages, exceptions or
reprs.
"""

from mailflow.oauth.tokens import AccessToken, Credentials, OAuthCredentials, PasswordCredentials, credentials_for

__all__ = ["AccessToken", "Credentials", "OAuthCredentials", "PasswordCredentials", "credentials_for"]
