"""Display labels of codes (roles, schemes, genders…), marked for translation; templates call
``_(labels.ROLES[code])``. English here is the msgid; Vietnamese lives in the ``vi`` catalog."""

from __future__ import annotations

from ansinh.web.i18n import N_

ROLES = {
    "administrator": N_("Administrator"),
    "director": N_("Director"),
    "collection_officer": N_("Collection officer"),
    "benefits_officer": N_("Benefits officer"),
    "claims_reviewer": N_("Claims reviewer"),
    "inspector": N_("Inspector"),
    "commune_officer": N_("Commune officer"),
    "viewer": N_("Viewer"),
    "hospital": N_("Hospital (claims submission)"),
}

SCHEMES = {
    "si": N_("Compulsory social insurance"),
    "vsi": N_("Voluntary social insurance"),
    "hi": N_("Health insurance"),
    "ui": N_("Unemployment insurance"),
}

SCHEMES_SHORT = {
    "si": N_("Compulsory SI"),
    "vsi": N_("Voluntary SI"),
    "hi": N_("HI"),
    "ui": N_("UI"),
}

GENDERS = {"male": N_("Male"), "female": N_("Female")}

RELATIONS = {
    "head": N_("Head of household"),
    "spouse": N_("Spouse"),
    "child": N_("Child"),
    "parent": N_("Parent"),
    "grandchild": N_("Grandchild"),
    "sibling": N_("Sibling"),
    "other": N_("Other"),
}

EMPLOYER_KINDS = {
    "enterprise": N_("Enterprise"),
    "state_agency": N_("State agency"),
    "business_household": N_("Business household"),
    "cooperative": N_("Cooperative"),
    "ngo": N_("Non-governmental organisation"),
    "foreign_org": N_("Foreign organisation"),
    "other": N_("Other"),
}

SUPPORT_GROUPS = {
    "poor": N_("Poor household"),
    "near_poor": N_("Near-poor household"),
    "ethnic_minority": N_("Ethnic minority"),
    "other": N_("Other"),
}

AUDIT_ACTIONS = {
    "view": N_("Viewed"),
    "search": N_("Searched"),
    "create": N_("Created"),
    "update": N_("Changed"),
    "sign_in": N_("Signed in"),
    "sign_out": N_("Signed out"),
    "sign_in_failed": N_("Failed sign-in"),
    "sign_in_throttled": N_("Sign-in throttled"),
    "reset_password": N_("Password reset"),
    "activate": N_("Account activated"),
    "deactivate": N_("Account deactivated"),
    "issue_token": N_("API token issued"),
    "revoke_token": N_("API token revoked"),
    "export": N_("Exported"),
}

AUDIT_ENTITIES = {
    "person": N_("Person"),
    "employer": N_("Employer"),
    "user": N_("Account"),
    "case": N_("Case"),
    "audit": N_("Audit trail"),
}

SCOPES = {
    "persons:read": N_("Read persons"),
    "persons:write": N_("Change persons"),
    "employers:read": N_("Read employers"),
    "employers:write": N_("Change employers"),
    "declarations:write": N_("Submit declarations"),
    "claims:read": N_("Read HI claims"),
    "claims:write": N_("Submit HI claims"),
    "ledger:read": N_("Read the contributions ledger"),
    "ledger:write": N_("Record declarations and payments"),
    "benefits:read": N_("Read benefit cases and payments"),
    "benefits:write": N_("Decide benefits"),
    "coverage:read": N_("Read coverage indicators and reports"),
    "outreach:write": N_("Record outreach contacts"),
    "inspections:write": N_("Record inspections"),
    "calc:use": N_("Use calculators"),
    "audit:read": N_("Read the audit trail"),
    "users:manage": N_("Manage accounts"),
}
