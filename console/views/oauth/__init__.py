"""The authorization server's web endpoints: DOT's views, extended through their hooks (ADR 0007).

- authorize: `/oauth/authorize/`, DOT's authorization endpoint with the seller's consent page,
  whose form and contents are in consent;
- token: the token endpoint (one transaction per request) and the revocation endpoint;
- introspect: RFC 7662 for resource servers (PartnerApp.can_introspect) only;
- client_auth: what those three put in front of DOT: malformed requests refused, and failed
  client authentication throttled per client address (ADR 0009).
"""
