#pragma once
// call() and notify(): the public entry points (declared with hearth::service).
#include "framework/service.hpp"
