// The umbrella header: everything a Gannet application needs.
#pragma once

#include <gannet/app.hpp>
#include <gannet/body.hpp>
#include <gannet/client.hpp>
#include <gannet/cookie.hpp>
#include <gannet/http_types.hpp>
#include <gannet/log.hpp>
#include <gannet/middleware.hpp>
#include <gannet/multipart.hpp>
#include <gannet/net.hpp>
#include <gannet/request.hpp>
#include <gannet/response.hpp>
#include <gannet/response_stream.hpp>
#include <gannet/runtime.hpp>
#include <gannet/sse.hpp>
#include <gannet/static_files.hpp>
#include <gannet/task.hpp>
#include <gannet/url.hpp>
#include <gannet/websocket.hpp>
