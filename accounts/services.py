"""Account operations: registration, password change, account deletion."""

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from rest_framework.exceptions import ValidationError

from accounts.models import User


def user_create(*, email: str, password: str) -> User:
    email = email.strip().lower()
    if User.objects.filter(email=email).exists():
        raise ValidationError({"email": ["An account with this email already exists."]})
    _validate_password(password, User(email=email))
    return User.objects.create_user(email=email, password=password)


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
