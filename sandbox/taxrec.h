/*
 * taxrec: the fake tax service's records of names and phones, for the
 * personal data check.
 *
 * Every self-employed INN of the scenario table has the same record, so
 * tests and demos know what matches: Иванов Иван Иванович, +79990000000.
 */
#ifndef SANDBOX_TAXREC_H
#define SANDBOX_TAXREC_H

enum taxrec_field {
    TAXREC_LAST,
    TAXREC_FIRST,
    TAXREC_MIDDLE,
    TAXREC_PHONE,
    TAXREC_COUNT
};

/* 1 when the tax service keeps a record for inn, else 0. */
int taxrec_known(const char *inn);

/* 1 when given equals the record's field: names after trimming spaces
 * and folding the case of Latin and Cyrillic letters (Ё included), the
 * phone by its digits alone. */
int taxrec_same(enum taxrec_field f, const char *given);

#endif
