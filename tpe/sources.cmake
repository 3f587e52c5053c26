# tpe/: TPE and the other model-based searchers (included by the top
# CMakeLists.txt right after PZ_CORE_SOURCES is defined).
list(APPEND PZ_CORE_SOURCES
  tpe/parzen.c tpe/multi.c tpe/history.c tpe/tpe.c core/search_anneal.c)
list(APPEND PZ_EXTRA_HEADERS tpe/tpe.h)
