#pragma once
// outcome<T>: a value or a failure (an error code plus a sentence naming the problem). Every
// fallible function of the cluster module returns one; none of them throws for bad input.
// It is rpc::outcome (rpc/failure.hpp), so its contract is basic_result's: checked value(),
// unchecked * and ->, error() only on failure.

#include "cluster/error.hpp"
#include "rpc/failure.hpp"

namespace hearth::cluster {

using rpc::failure;
using rpc::outcome;

}  // namespace hearth::cluster
