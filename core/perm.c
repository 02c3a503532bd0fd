/*
 * perm: the tax service's permission codes and what each lets the bank do,
 * worded for a customer hearing them over the phone.
 */
#include "perm.h"

#include <string.h>

/* Marks a sentence as a msgid for the "npdlink" catalogue (xgettext
 * --keyword=N_). core never translates: the screen passes what
 * perm_describe() returns through gettext when it draws it. */
#define N_(s) s

const char *const perm_default[] = {
    "INCOME_REGISTRATION", "PAYMENT_INFORMATION", "INCOME_LIST",
    "INCOME_SUMMARY",      "CANCEL_INCOME",       NULL,
};

struct perm_text {
    const char *code;
    const char *text;
};

static const struct perm_text perm_texts[] = {
    {"INCOME_REGISTRATION",
     N_("Bank 131 may record income in your name and issue the receipts for "
        "it.")},
    {"PAYMENT_INFORMATION",
     N_("Bank 131 may see how much tax you have been charged and when it is "
        "due.")},
    {"TAX_PAYMENT", N_("Bank 131 may pay your tax for you.")},
    {"INCOME_LIST",
     N_("Bank 131 may read the list of income you have recorded.")},
    {"INCOME_SUMMARY",
     N_("Bank 131 may read the totals of your income for a period.")},
    {"CANCEL_INCOME",
     N_("Bank 131 may cancel receipts that Bank 131 itself issued for you.")},
    {"CANCEL_ANY_INCOME",
     N_("Bank 131 may cancel any of your receipts, including ones issued by "
        "others.")},
    {"TAXPAYER_UPDATE",
     N_("Bank 131 may change your taxpayer details held by the tax service.")},
    {"PERMISSIONS_MGMT",
     N_("Bank 131 may change the permissions you have given to partners.")},
};

const char *perm_describe(const char *code)
{
    if (code == NULL)
        return NULL;
    for (size_t i = 0; i < sizeof(perm_texts) / sizeof(perm_texts[0]); i++)
        if (strcmp(code, perm_texts[i].code) == 0)
            return perm_texts[i].text;
    return NULL;
}
