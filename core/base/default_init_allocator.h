// DefaultInitAllocator: std::allocator, except that a vector's resize (and
// its size constructor) leaves trivial elements uninitialised instead of
// zeroing them. For large buffers whose every element is written before it
// is read: a detect's zero fills of planes it then overwrites whole were
// ~2% of its CPU (docs/speed.md, issue 20, stop 33).
#ifndef ANOMALENS_CORE_BASE_DEFAULT_INIT_ALLOCATOR_H_
#define ANOMALENS_CORE_BASE_DEFAULT_INIT_ALLOCATOR_H_

#include <memory>
#include <new>
#include <type_traits>
#include <utility>
#include <vector>

namespace anomalens {

template <typename T>
struct DefaultInitAllocator : std::allocator<T> {
  template <typename U>
  struct rebind {
    using other = DefaultInitAllocator<U>;
  };
  DefaultInitAllocator() noexcept = default;
  template <typename U>
  DefaultInitAllocator(const DefaultInitAllocator<U>&) noexcept {}  // NOLINT

  // Default-initialisation: nothing at all for a trivial type.
  template <typename U>
  void construct(U* p) noexcept(std::is_nothrow_default_constructible<U>::value) {
    ::new (static_cast<void*>(p)) U;
  }
  template <typename U, typename... Args>
  void construct(U* p, Args&&... args) {
    ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
  }
};

// A vector whose resize leaves new trivial elements uninitialised.
template <typename T>
using UninitializedVector = std::vector<T, DefaultInitAllocator<T>>;

}  // namespace anomalens

#endif  // ANOMALENS_CORE_BASE_DEFAULT_INIT_ALLOCATOR_H_
