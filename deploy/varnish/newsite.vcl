#
# newsite's edge: the logic. Written for the Varnish Debian ships (7.1), built-in vmods only.
#
# This file defines no backend and no ACL: a small generated top file does (render.py), then
# includes this one. So tests and `make stack` point the same logic anywhere.
# It expects:
#   storage shared   for what everybody may get (varnishd -s shared=malloc,…)
#   storage reader   for signed-in readers' own fragments, apart so that they can never evict a
#                    page (varnishd -s reader=malloc,…; deploy/engines.py starts it so)
#   backend default  the Django application servers (gunicorn), with a health probe
#   acl purgers      the addresses allowed to send BAN and PURGE
#   sub refuse_without_purge_secret
#                    answers 403 unless the request carries the purge secret
#
# The contract with Django (newsite/cache/edge.py):
#   - shared pages come with `Cache-Control: public, max-age=0, s-maxage=N` and the tags they
#     were built from in `Surrogate-Key`; private ones with `private, no-store`;
#   - pages that contain <esi:include> come with `Surrogate-Control: content="ESI/1.0"`, in
#     answer to our `Surrogate-Capability: varnish=ESI/1.0` request header;
#   - a signed-in reader's own fragment (under /_fragments/, not /_fragments/shared/;
#     newsite/fragments.py) is `private, no-store` with `Surrogate-Control: max-age=N` when we
#     may keep it for that reader's session alone, tagged `reader:<id>` in `Surrogate-Key`;
#   - after a commit Django sends `BAN` with `X-Ban-Tags: article:42 home …` and the secret in
#     `X-Purge-Secret` to every node;
#   - each shared page reads only the query parameters newsite/cache/canonical.py lists for it;
#   - the scheme comes in `X-Forwarded-Proto`, which only this edge sets;
#   - /-/health/ answers 503 when Django cannot serve pages (its database is down).
#
vcl 4.1;

import cookie;
import std;

# ------------------------------------------------------------------------------------------
# vcl_recv: decide, for each request, whether it may be answered from the cache.
# ------------------------------------------------------------------------------------------
sub vcl_recv {
    # Headers this VCL sets for itself: never taken from a visitor. X-Stale-If-Error marks the
    # second attempt at a request whose backend fetch failed (see vcl_synth).
    if (req.restarts == 0) {
        unset req.http.X-Stale-If-Error;
    }
    unset req.http.X-Cache;
    unset req.http.X-Session;

    # Invalidation first, and only from the purgers ACL with the purge secret: a BAN anybody
    # could send would let them empty the cache at will, and make every visitor a cold miss.
    if (req.method == "BAN" || req.method == "PURGE") {
        if (client.ip !~ purgers) {
            return (synth(403, "Forbidden"));
        }
        call refuse_without_purge_secret;
        if (req.method == "PURGE") {
            call keep_only_the_query_parameters_the_page_reads;
            call ban_by_url;
        }
        call ban_by_tags;
    }

    # The load balancer's health check asks this node only, not Django behind it: a node whose
    # application servers, or database, are all down still serves every page it holds (grace),
    # and a check through Django would take every node out at once, leaving readers nothing.
    if (req.url == "/-/edge-alive/") {
        return (synth(200, "OK"));
    }

    # The scheme the visitor used, as the TLS terminator in front reports it, reduced to exactly
    # "https" or "http" by the rule Django applies (SECURE_PROXY_SSL_HEADER: the first value, and
    # only "https" means https). It is hashed (vcl_hash): the redirect to https and the absolute
    # links in feeds and sitemaps depend on it, so an object fetched over one scheme must never
    # answer the other.
    if (req.http.X-Forwarded-Proto ~ "^\s*https\s*(,|$)") {
        set req.http.X-Forwarded-Proto = "https";
    } else {
        set req.http.X-Forwarded-Proto = "http";
    }
    # gunicorn trusts more headers from us than X-Forwarded-Proto (its secure_scheme_headers,
    # and its forwarder_headers, SCRIPT_NAME and PATH_INFO by default): from a visitor, they
    # would change the scheme of a page, or cut a prefix off the path Django routes, and the
    # result would be stored under the URL Varnish saw. Only the edge speaks for the visitor.
    unset req.http.X-Forwarded-Ssl;
    unset req.http.X-Forwarded-Protocol;
    unset req.http.SCRIPT_NAME;
    unset req.http.PATH_INFO;

    # While the backend is healthy, serve an expired object at most 10 s while it is fetched
    # again; while it is sick (the probe finds the database down), serve whatever we have, for
    # as long as the object's grace. And when a fetch has just failed, before the probe has
    # noticed anything, the second attempt takes whatever we have too (stale-if-error).
    # req.grace survives a restart, so it is set either way.
    if (req.http.X-Stale-If-Error) {
        set req.grace = 24h;
    } elsif (std.healthy(req.backend_hint)) {
        set req.grace = 10s;
    }

    # Tell Django that this edge processes ESI, so that shells include per-reader fragments
    # as <esi:include> instead of placeholders for JavaScript.
    set req.http.Surrogate-Capability = "varnish=ESI/1.0";

    # The built-in host normalisation and method checks still apply: non-standard methods are
    # piped, and anything but GET and HEAD is passed to Django untouched.
    call vcl_req_host;
    call vcl_req_method;

    # Django needs only its own cookies. Dropping the rest (analytics, consent banners…)
    # keeps them from reaching the backend at all.
    if (req.http.Cookie) {
        cookie.parse(req.http.Cookie);
        cookie.keep("sessionid,csrftoken");
        set req.http.Cookie = cookie.get_string();
        if (req.http.Cookie !~ "=") {
            unset req.http.Cookie;
        }
    }

    # Private by address: the admin, a reader's account pages, the CSRF cookie endpoint, the
    # read beacon and the health checks. Also anything with credentials.
    if (req.url ~ "^/(admin|accounts)/" || req.url ~ "^/-/" || req.http.Authorization) {
        return (pass);
    }

    # Who is reading, in the only way that matters to the cache: with a session or without.
    # Pages come in two variants: anonymous visitors get the per-reader bits rendered in (an
    # ESI include costs the edge about as much as a whole hit), readers with a session get
    # ESI includes. Django picks the variant from this header; vcl_hash keeps them apart.
    if (req.http.Cookie ~ "(^|;\s*)sessionid=") {
        set req.http.X-Reader = "session";
    } else {
        set req.http.X-Reader = "anonymous";
    }

    # A reader's own fragments (personal bar with messages, save button) depend on their
    # session: they are looked up under it (vcl_hash), so each session has its own copy, and
    # only Django's answer decides whether that copy is kept (vcl_backend_response). The
    # session is the cookie's value, which only Django hands out: a made-up one finds nobody's
    # copy. An ESI sub-request arrives here with the reader's original cookies, even though the
    # page around it was hashed without them. The cookies go on to Django on a miss. Fragments
    # under /_fragments/shared/ are the same for everybody in the variant.
    if (req.url ~ "^/_fragments/" && req.url !~ "^/_fragments/shared/" &&
        req.http.X-Reader == "session") {
        set req.http.X-Session = regsub(req.http.Cookie, "^(.*;\s*)?sessionid=([^;]*).*$", "\2");
        call keep_only_the_query_parameters_the_page_reads;
        return (hash);
    }

    # Everything else is shared: Django renders it identically for every visitor of the same
    # variant, so it is looked up, and hashed, without any cookie, and under the query
    # parameters it reads alone.
    call keep_only_the_query_parameters_the_page_reads;
    unset req.http.Cookie;
    return (hash);
}

sub keep_only_the_query_parameters_the_page_reads {
    # A shared page reads a few query parameters at most; newsite/cache/canonical.py lists
    # them (tests/test_vcl.py checks that this list agrees). Anything else in the query string
    # is dropped before the lookup, and what is left is sorted: /?cb=1 … /?cb=2000 are all
    # "/", one object and one render, instead of 2,000 renders and 2,000 copies in memory.
    # Django redirects a value spelt another way (?page=02) to its canonical form, and that
    # redirect is cached like a page.
    # Each regsuball below replaces every parameter not named in its (?!…) by its separator.
    if (req.url ~ "^/search/\?") {
        set req.url = regsuball(req.url, "([?&])(?!(page|q)=)[^&]*", "\1");
    } elsif (req.url ~ "^/sitemap-[^/?]+\.xml\?") {
        set req.url = regsuball(req.url, "([?&])(?!p=)[^&]*", "\1");
    } elsif (req.url ~ "^/_fragments/(personal-bar/|save-button/[0-9]+/|shared/comment-form/[0-9]+/)\?") {
        set req.url = regsuball(req.url, "([?&])(?!next=)[^&]*", "\1");
    } elsif (req.url ~ "^/((authors|topics)/)?[^/?]+/\?") {
        # Lists: a section front (/world/), an author's or a topic's page.
        set req.url = regsuball(req.url, "([?&])(?!page=)[^&]*", "\1");
    } else {
        # The home page, articles, feeds, the sitemap index, robots.txt, static files: none.
        set req.url = regsub(req.url, "\?.*$", "");
    }
    # std.querysort also drops the empty parameters the regsuball left ("?&q=x&" → "?q=x").
    set req.url = std.querysort(req.url);
    set req.url = regsub(req.url, "^([^?]*)\?$", "\1");
}

sub vcl_hash {
    # One copy per variant (see X-Reader above) and per scheme (see X-Forwarded-Proto), and of
    # a reader's own fragment one per session; the built-in VCL then adds the URL and host.
    hash_data(req.http.X-Reader);
    hash_data(req.http.X-Forwarded-Proto);
    if (req.http.X-Session) {
        hash_data(req.http.X-Session);
    }
}

sub vcl_backend_fetch {
    # Said for vcl_hash; Django reads the session from the cookie itself.
    unset bereq.http.X-Session;
}

sub ban_by_url {
    # PURGE /some/page/: every variant of that page goes (a plain purge would remove only the
    # variant this request hashes to). The URL is stored on each object for this.
    if (!std.ban("obj.http.X-Url == " + req.url)) {
        return (synth(500, std.ban_error()));
    }
    return (synth(200, "Purged"));
}

sub ban_by_tags {
    # X-Ban-Tags: space-separated tags. Objects whose Surrogate-Key holds any of them go.
    # A ban on an object header is checked by the ban lurker in the background, so the ban
    # list stays short. "*" bans everything (after a bulk load, such as the seed command).
    if (req.http.X-Ban-Tags == "*") {
        if (!std.ban("obj.status != 0")) {
            return (synth(500, std.ban_error()));
        }
        return (synth(200, "Banned everything"));
    }
    if (req.http.X-Ban-Tags !~ "^[A-Za-z0-9:_-]+( [A-Za-z0-9:_-]+)*$") {
        return (synth(400, "X-Ban-Tags must hold space-separated tags"));
    }
    # obj.http.Surrogate-Key ~ (^|\s)(article:42|home)(\s|$): whole tags only ("home" must not
    # match "homepage"). No spaces inside the expression: ban() splits its argument on them.
    if (!std.ban("obj.http.Surrogate-Key ~ (^|\s)(" + regsuball(req.http.X-Ban-Tags, " ", "|") +
            ")(\s|$)")) {
        # Tell the sender, who logs it and tries again: a silent failure would leave stale pages.
        return (synth(500, std.ban_error()));
    }
    return (synth(200, "Banned"));
}

# ------------------------------------------------------------------------------------------
# X-Cache: what happened to the request, for people and tests (HIT, MISS, PASS, grace).
# ------------------------------------------------------------------------------------------
sub vcl_hit {
    if (obj.ttl <= 0s) {
        set req.http.X-Cache = "grace";
    } else {
        set req.http.X-Cache = "HIT";
    }
}

sub vcl_miss {
    set req.http.X-Cache = "MISS";
}

sub vcl_pass {
    set req.http.X-Cache = "PASS";
}

# ------------------------------------------------------------------------------------------
# vcl_backend_response: decide what to keep of Django's answer.
# ------------------------------------------------------------------------------------------
sub vcl_backend_response {
    # A background refresh of an object in grace that fails must not replace the good object.
    if (beresp.status >= 500 && bereq.is_bgfetch) {
        return (abandon);
    }
    # A reader's own fragment: kept for their session alone, or not at all (an error too: there
    # is no older copy to fall back on, see below).
    if (bereq.http.Cookie ~ "(^|;\s*)sessionid=" && bereq.url ~ "^/_fragments/" &&
        bereq.url !~ "^/_fragments/shared/") {
        call keep_for_the_session_or_not_at_all;
    }
    # A fetch a visitor is waiting for fails (Django's 503 when the database is down): give it
    # up, so that vcl_synth tries again, taking an older copy if we hold one. Varnish 7.1 does
    # not read stale-if-error from Cache-Control; this is it. The second attempt, and a pass,
    # deliver what they get.
    if (beresp.status >= 500 && !bereq.uncacheable && !bereq.http.X-Stale-If-Error) {
        return (abandon);
    }

    # Process ESI only where Django asks for it, then remove the marker. This must happen
    # before the built-in VCL runs: it honours "private" and "no-store" only when no
    # Surrogate-Control header is present, so a leftover one would let a private response be
    # stored and served to the next visitor.
    if (beresp.http.Surrogate-Control ~ "ESI/1.0") {
        set beresp.do_esi = true;
    }
    unset beresp.http.Surrogate-Control;

    # Compress text once, here; Varnish gunzips for clients that do not accept gzip. Not a
    # page with ESI includes (a signed-in reader's shell): Varnish 7.1 can assemble gzipped
    # includes into a gzipped page, but on this machine that cost the edge twice the CPU of
    # assembling them uncompressed, and a reader's page view three to six times a plain hit
    # (docs/caching.md). Anonymous pages, most of the traffic, leave compressed.
    if (beresp.http.Content-Type ~ "^(text/|application/(rss\+xml|atom\+xml|xml|json|javascript))"
        && !beresp.http.Content-Encoding && !beresp.do_esi) {
        set beresp.do_gzip = true;
    }

    # Keep objects long after their TTL, to serve while the backend is down (see vcl_recv).
    set beresp.grace = 24h;

    # For PURGE by URL (ban_by_url): a ban on an object header, checked in the background.
    set beresp.http.X-Url = bereq.url;

    # Keep only what Django said may be shared: it marks such responses "public" (and the
    # static files WhiteNoise serves are marked so too). Anything else, such as the redirect
    # SecurityMiddleware sends before Django's edge headers run, or an error page from
    # gunicorn itself, would otherwise be stored for the default TTL and served to everyone.
    # Not storing it for two minutes (hit-for-miss) is what the built-in VCL does with
    # private responses.
    if (beresp.http.Cache-Control !~ "(^|,)\s*public\s*(,|$)") {
        set beresp.ttl = 120s;
        set beresp.uncacheable = true;
        return (deliver);
    }

    # The TTL comes from s-maxage (Django sets it); the built-in VCL that runs next refuses
    # to store anything that sets a cookie or is private, no-store or no-cache.
    set beresp.storage = storage.shared;
}

sub keep_for_the_session_or_not_at_all {
    # A reader's own fragment, fetched under their session (vcl_hash). Django says whether we
    # may keep it: not an anonymous session's (a made-up cookie's), not one that shows flash
    # messages, not an error. Of those nothing stays, not even the hit-for-miss marker the
    # built-in VCL would keep for two minutes: made-up sessions by the thousand leave nothing.
    if (beresp.http.Surrogate-Control !~ "(^|,)\s*max-age=[0-9]+\s*(,|$)") {
        set beresp.ttl = 0s;
        set beresp.uncacheable = true;
        unset beresp.http.Surrogate-Control;
        return (deliver);
    }
    # A signed-in reader's: kept for Surrogate-Control's max-age, until a ban of the reader's
    # tag. In storage of its own, so that however many sessions there are, they push out each
    # other's fragments and never a page. No grace: a reader's name and saved articles are
    # never shown stale, and an idle session's copy goes.
    set beresp.ttl = std.duration(
        regsub(beresp.http.Surrogate-Control, "^.*max-age=([0-9]+).*$", "\1s"), 0s);
    set beresp.grace = 0s;
    set beresp.storage = storage.reader;
    unset beresp.http.Surrogate-Control;
    # Django's "Vary: Cookie": the session is in the hash already, and the rest of the cookie
    # (the CSRF token) changes nothing in the fragment.
    unset beresp.http.Vary;
    return (deliver);
}

sub vcl_backend_error {
    # The backend is down or too slow. While refreshing an object in grace: keep the object.
    # For a visitor's first attempt: let vcl_synth try again with an older copy (see above).
    if (bereq.is_bgfetch || (!bereq.uncacheable && !bereq.http.X-Stale-If-Error)) {
        return (abandon);
    }
    # Otherwise answer with a page a reader can understand, not Varnish's "Guru Meditation".
    set beresp.http.Content-Type = "text/html; charset=utf-8";
    set beresp.http.Retry-After = "30";
    set beresp.http.Cache-Control = "no-store";
    set beresp.body = {"<!doctype html>
<html lang="en-GB">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Back in a moment · The Daily Cache</title>
  <style>
    body { font: 18px/1.5 Georgia, "Times New Roman", serif; margin: 0; color: #121212; }
    main { max-width: 36rem; margin: 4rem auto; padding: 0 1.5rem; }
    h1 { font-size: 2.2rem; line-height: 1.15; }
    a { color: #a5001d; }
  </style>
</head>
<body>
  <main>
    <p><a href="/">The Daily Cache</a></p>
    <h1>We are back in a moment</h1>
    <p>This page is not available right now. Please try again in a minute; the
       <a href="/">front page</a> may already be there for you.</p>
  </main>
</body>
</html>
"};
    return (deliver);
}

# ------------------------------------------------------------------------------------------
# vcl_synth: answers Varnish makes up itself (bans, refusals, failed includes).
# ------------------------------------------------------------------------------------------
sub vcl_synth {
    # A miss whose fetch was given up (vcl_backend_response, vcl_backend_error): look again,
    # this time taking any older copy, however stale (vcl_recv). Without one, the second fetch
    # delivers Django's 503, or our own "back in a moment" page: both say Retry-After.
    if (resp.status == 503 && req.http.X-Cache == "MISS" && !req.http.X-Stale-If-Error) {
        set req.http.X-Stale-If-Error = "yes";
        return (restart);
    }
    # A failed ESI include (vcl_deliver): nothing at all goes into the page around it.
    if (req.esi_level > 0) {
        set resp.body = "";
        return (deliver);
    }
}

# ------------------------------------------------------------------------------------------
# vcl_deliver: the last word before the response leaves.
# ------------------------------------------------------------------------------------------
sub vcl_deliver {
    # An ESI include that did not work (an error from Django, our own "back in a moment" page,
    # a redirect) would put a whole HTML document inside the page, inside <header> for the
    # personal bar. It leaves an empty spot instead (see vcl_synth).
    if (req.esi_level > 0 && (resp.status < 200 || resp.status >= 300)) {
        return (synth(resp.status));
    }

    set resp.http.X-Cache = req.http.X-Cache;
    # The tags and the URL were stored on the object for bans; clients have no use for them.
    unset resp.http.Surrogate-Key;
    unset resp.http.X-Url;

    # What the caches beyond this edge (a CDN, a company proxy, the browser) may do with it.
    # Django's s-maxage was meant for us alone: only this edge hears the bans that make a page
    # fresh after an edit, so nobody downstream may keep a page as fresh.
    # - A page assembled for a reader (their name, saved count and messages arrived by ESI),
    #   or a reader's own fragment: "private, no-store", so no shared cache keeps it and shows
    #   it to someone else, even though the shell came from our cache.
    # - A shared page: "no-cache", so a cache may store it but must ask us before every use.
    # Static files keep WhiteNoise's "public, max-age=…, immutable": their names change
    # with their content.
    if (req.http.X-Reader == "session" && (obj.can_esi || req.url ~ "^/_fragments/")) {
        set resp.http.Cache-Control = "private, no-store";
    } elsif (resp.http.Cache-Control ~ "s-maxage") {
        set resp.http.Cache-Control = "no-cache";
    }
}
