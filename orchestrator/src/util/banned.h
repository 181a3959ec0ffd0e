/* Functions that cannot be used safely; each use becomes a compile error
 * (the idea comes from git's banned.h). Every .c file includes it after all
 * other headers, so system headers that declare these still compile. */
#ifndef ZO_UTIL_BANNED_H
#define ZO_UTIL_BANNED_H

#define ZO_BANNED(func) sorry_##func##_is_a_banned_function

#undef strcpy
#define strcpy(x, y) ZO_BANNED(strcpy)
#undef strcat
#define strcat(x, y) ZO_BANNED(strcat)
#undef strncpy
#define strncpy(x, y, n) ZO_BANNED(strncpy)
#undef sprintf
#define sprintf(...) ZO_BANNED(sprintf)
#undef vsprintf
#define vsprintf(...) ZO_BANNED(vsprintf)
#undef strtok
#define strtok(x, y) ZO_BANNED(strtok)
#undef gets
#define gets(x) ZO_BANNED(gets)

#endif
