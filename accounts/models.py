from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, email, password=None, **extra):
        if not email:
            raise ValueError("An email is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email, password=None, **extra):
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class User(AbstractUser):
    """A developer's account: the email is the login name."""

    username = None
    email = models.EmailField("email address", unique=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = []

    objects = UserManager()


class LoginFailure(models.Model):
    """One failed login as counted in one scope, kept for the throttle window (accounts/login_throttle.py)."""

    ACCOUNT_CLIENT = "pair"
    CLIENT = "client"
    ACCOUNT = "account"

    scope = models.CharField(
        max_length=8, choices=[(ACCOUNT_CLIENT, "account from client"), (CLIENT, "client"), (ACCOUNT, "account")]
    )
    # A digest of the email tried and the client address; the address; or the digest.
    key = models.CharField(max_length=128)
    created = models.DateTimeField(db_index=True)

    class Meta:
        indexes = [models.Index(fields=["scope", "key", "created"])]
