/* parzen: symbol visibility. The library builds with hidden visibility by
 * default; PZ_API marks the public entry points. */
#ifndef PZ_EXPORT_H
#define PZ_EXPORT_H
#if defined(__GNUC__)
#define PZ_API __attribute__((visibility("default")))
#else
#define PZ_API
#endif
#endif
