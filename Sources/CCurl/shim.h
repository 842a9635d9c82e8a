#ifndef KLAXON_CCURL_SHIM_H
#define KLAXON_CCURL_SHIM_H
#include <curl/curl.h>

// curl_easy_setopt and curl_multi_setopt are variadic; Swift cannot call them. These wrappers
// fix the argument type per call.
static inline CURLcode klaxon_easy_setopt_long(CURL *h, CURLoption o, long v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode klaxon_easy_setopt_ptr(CURL *h, CURLoption o, void *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode klaxon_easy_setopt_str(CURL *h, CURLoption o, const char *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode klaxon_easy_setopt_off(CURL *h, CURLoption o, curl_off_t v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode klaxon_easy_setopt_slist(CURL *h, CURLoption o, struct curl_slist *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode klaxon_easy_setopt_write(CURL *h, CURLoption o, size_t (*f)(char *, size_t, size_t, void *)) { return curl_easy_setopt(h, o, f); }
static inline CURLcode klaxon_easy_getinfo_long(CURL *h, CURLINFO i, long *v) { return curl_easy_getinfo(h, i, v); }
static inline CURLcode klaxon_easy_getinfo_ptr(CURL *h, CURLINFO i, void **v) { return curl_easy_getinfo(h, i, v); }
static inline CURLMcode klaxon_multi_setopt_long(CURLM *m, CURLMoption o, long v) { return curl_multi_setopt(m, o, v); }
// Read (upload) and header callbacks share the write callback's C signature; named wrappers keep
// call sites readable.
typedef size_t (*klaxon_curl_data_cb)(char *, size_t, size_t, void *);
static inline CURLcode klaxon_easy_setopt_read(CURL *h, klaxon_curl_data_cb f) { return curl_easy_setopt(h, CURLOPT_READFUNCTION, f); }
static inline CURLcode klaxon_easy_setopt_header(CURL *h, klaxon_curl_data_cb f) { return curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, f); }
// CURLMsg.data is a union; read the CURLcode member without relying on how Swift imports it.
static inline CURLcode klaxon_msg_result(const CURLMsg *m) { return m->data.result; }
#endif
