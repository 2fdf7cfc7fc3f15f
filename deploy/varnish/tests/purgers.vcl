# What the generated top file (render.py) defines besides the backend, for the varnishtests:
# who may send BAN and PURGE, and the secret they must carry.
acl purgers { "127.0.0.1"; }

sub refuse_without_purge_secret {
    if (req.http.X-Purge-Secret != "a-purge-secret-for-the-varnishtests-only") {
        return (synth(403, "Forbidden"));
    }
}
