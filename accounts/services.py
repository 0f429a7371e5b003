"""Account operations: registration, logging in, password change, account deletion."""

from django.contrib.auth import authenticate, password_validation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from rest_framework.exceptions import AuthenticationFailed, Throttled, ValidationError

from accounts import login_throttle
from accounts.models import User


def user_create(*, email: str, password: str) -> User:
    email = email.strip().lower()
    if User.objects.filter(email=email).exists():
        raise ValidationError({"email": ["An account with this email already exists."]})
    _validate_password(password, User(email=email))
    return User.objects.create_user(email=email, password=password)


def user_authenticate(*, email: str, password: str, client_address: str) -> User:
    """The active account with these credentials (for a token or a portal session alike).

    Raises Throttled after too many failures from this client or for this account, and
    AuthenticationFailed with one message for an unknown email, a wrong password and an
    inactive account."""
    wait = login_throttle.seconds_until_allowed(client_address, email)
    if wait:
        raise Throttled(wait=wait, detail="Too many failed logins. Try again later.")
    user = authenticate(email=email.strip().lower(), password=password)
    if user is None:
        login_throttle.record_failure(client_address, email)
        raise AuthenticationFailed("No active account found with the given credentials.")
    login_throttle.clear_client_failures(client_address, email)
    return user


def user_change_password(*, user: User, old_password: str, new_password: str) -> None:
    if not user.check_password(old_password):
        raise ValidationError({"old_password": ["The current password is wrong."]})
    _validate_password(new_password, user)
    user.set_password(new_password)  # tokens carry a digest of the old hash: all stop working
    user.save(update_fields=["password"])


@transaction.atomic
def user_delete(*, user: User, password: str) -> None:
    if not user.check_password(password):
        raise ValidationError({"password": ["The password is wrong."]})
    user.delete()  # profile and keys cascade; usage rows keep their counts without the owner


def _validate_password(password: str, user: User) -> None:
    try:
        password_validation.validate_password(password, user)
    except DjangoValidationError as error:
        raise ValidationError({"password": list(error.messages)}) from None
