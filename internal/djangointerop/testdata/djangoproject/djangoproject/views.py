"""JSON views of the interop test project: what a Django site sharing the
API's sessions and users does with them, through Django's own code
(django.contrib.auth's login, logout, update_session_auth_hash; the
session middleware's request.session). CSRF is left out on purpose: the
callers are the Go tests, not browsers."""
import json
from datetime import datetime, timezone

from django.contrib import auth
from django.contrib.auth.hashers import PBKDF2PasswordHasher, make_password
from django.contrib.auth.models import User
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST


def body(request):
    return json.loads(request.body or b"{}")


def error(status, code):
    return JsonResponse({"error": code}, status=status)


@require_GET
def whoami(request):
    """request.user, as AuthenticationMiddleware and auth.get_user find it."""
    user = request.user
    if not user.is_authenticated:
        return JsonResponse({"authenticated": False})
    return JsonResponse({"authenticated": True, "id": user.pk, "username": user.get_username()})


@csrf_exempt
@require_POST
def login(request):
    """django.contrib.auth.login after authenticate, as LoginView does:
    {"username", "password"}, or {"email", "password"} for EmailBackend."""
    b = body(request)
    if "email" in b:  # EmailBackend's login
        user = auth.authenticate(request, email=b["email"], password=b.get("password"))
    else:
        user = auth.authenticate(request, username=b.get("username"), password=b.get("password"))
    if user is None:
        return error(401, "invalid_credentials")
    auth.login(request, user)
    return JsonResponse({"id": user.pk, "username": user.get_username()})


@csrf_exempt
@require_POST
def logout(request):
    auth.logout(request)
    return HttpResponse(status=204)


@csrf_exempt
@require_POST
def password(request):
    """A password change as PasswordChangeView makes it: the other sessions
    of the user end, this one stays logged in (update_session_auth_hash)."""
    if not request.user.is_authenticated:
        return error(401, "not_authenticated")
    b = body(request)
    user = request.user
    if not user.check_password(b.get("old_password", "")):
        return error(400, "wrong_old_password")
    user.set_password(b["new_password"])
    user.save()
    auth.update_session_auth_hash(request, user)
    return HttpResponse(status=204)


@csrf_exempt
@require_http_methods(["GET", "POST"])
def session(request):
    """GET: the session as Django reads it. POST {"set": {...}, "delete":
    [...], "expiry": seconds | null}: writes values, and set_expiry when
    "expiry" is given (null: back to the default)."""
    s = request.session
    if request.method == "POST":
        b = body(request)
        for k, v in (b.get("set") or {}).items():
            s[k] = v
        for k in b.get("delete", []):
            s.pop(k, None)
        if "expiry" in b:
            s.set_expiry(b["expiry"])
    out = {"key": s.session_key, "data": dict(s.items())}
    expiry = s.get("_session_expiry")
    if isinstance(expiry, str):
        # What Django 4.1+ makes of a date stored as a string.
        out["expiry_iso"] = datetime.fromisoformat(expiry).isoformat()
    try:
        out["expire_at_browser_close"] = s.get_expire_at_browser_close()
        out["expiry_age"] = s.get_expiry_age()
        out["expiry_date"] = s.get_expiry_date().isoformat()
    except TypeError as e:
        # Django before 4.1 cannot compute with a date stored as a string.
        out["expiry_error"] = repr(e)
    return JsonResponse(out)


@csrf_exempt
@require_http_methods(["GET", "POST"])
def cart(request):
    """The API's cart, read from (GET) and added to (POST {"product_id",
    "quantity"}) the session as the API keeps it: {"<product id>":
    {"quantity": n, "added_at": ISO-8601}}. Lines come back with their
    product from the API's products table."""
    lines = request.session.get("cart", {})
    if request.method == "POST":
        b = body(request)
        line = lines.setdefault(str(b["product_id"]), {
            "quantity": 0,
            "added_at": datetime.now(timezone.utc).replace(microsecond=0).isoformat(),
        })
        line["quantity"] += b.get("quantity", 1)
        request.session["cart"] = lines
    products = {}
    if lines:
        with connection.cursor() as c:
            ids = [int(i) for i in lines]
            marks = ", ".join(["%s"] * len(ids))
            c.execute(f"SELECT id, name, price FROM products WHERE id IN ({marks})", ids)
            products = {str(i): {"id": i, "name": n, "price": str(p)} for i, n, p in c.fetchall()}
    items = [
        {"product": products.get(pid), "quantity": line["quantity"], "added_at": line["added_at"]}
        for pid, line in sorted(lines.items(), key=lambda kv: int(kv[0]))
    ]
    return JsonResponse({"items": items})


@csrf_exempt
@require_POST
def users(request):
    """User.objects.create_user; with "iterations", the password is then
    hashed at that PBKDF2 count instead (a hash made by an older Django)."""
    b = body(request)
    user = User.objects.create_user(b["username"], b.get("email", ""), b["password"])
    if "iterations" in b:
        hasher = PBKDF2PasswordHasher()
        hasher.iterations = b["iterations"]
        user.password = make_password(b["password"], hasher=hasher)
        user.save(update_fields=["password"])
    return JsonResponse({"id": user.pk, "username": user.get_username(), "password": user.password}, status=201)
