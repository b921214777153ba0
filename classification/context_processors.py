from django.http import HttpRequest

from docsite import roles as role_names


def roles(request: HttpRequest) -> dict[str, bool]:
    """Which parts of the navigation this user may see."""
    held = role_names.roles_of(request.user)
    is_admin = role_names.ADMIN in held
    return {
        "is_admin": is_admin,
        "is_uploader": is_admin or role_names.UPLOADER in held,
        "is_labeler": is_admin or role_names.LABELER in held,
    }
