// The server's compute slots: one request a core, first come first served,
// the pool only for a request computing alone, and with one slot a CPU each
// slot on its own CPU.
#include <gtest/gtest.h>
#include <sched.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "native/engine/compute_slots.h"
#include "native/engine/cpu_pinning.h"

namespace anomalens {
namespace {

// Waits (a bounded while) until `condition` holds; false if it never does.
template <typename Condition>
bool Eventually(Condition condition) {
  for (int i = 0; i < 2000 && !condition(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  return condition();
}

TEST(ComputeSlots, ALoneRequestTakesThePoolsShareAndMayUseThePool) {
  ComputeSlots slots(/*cores=*/2, /*pool_threads=*/2);
  auto grant = slots.Acquire();
  EXPECT_EQ(grant->slots(), 2);
  EXPECT_FALSE(RunInlineHere::Active());
}

TEST(ComputeSlots, WithoutAPoolEveryRequestRunsInlineOnOneSlot) {
  ComputeSlots slots(/*cores=*/2, /*pool_threads=*/1);
  auto first = slots.Acquire();
  EXPECT_EQ(first->slots(), 1);
  EXPECT_TRUE(RunInlineHere::Active());
  auto second = slots.Acquire();  // the second core is still free
  EXPECT_EQ(second->slots(), 1);
  second.reset();
  first.reset();
  EXPECT_FALSE(RunInlineHere::Active());
}

TEST(ComputeSlots, ARequestThatWaitedSharesTheCoresAndRunsInline) {
  ComputeSlots slots(/*cores=*/2, /*pool_threads=*/2);
  auto alone = slots.Acquire();  // holds both slots
  std::atomic<int> got{0};
  std::atomic<bool> ran_inline{false};
  std::thread waiter([&] {
    auto grant = slots.Acquire();
    got = grant->slots();
    ran_inline = RunInlineHere::Active();
  });
  std::thread behind([&] {
    ASSERT_TRUE(Eventually([&] { return slots.waiting() == 1; }));
    auto grant = slots.Acquire();  // queued behind `waiter`
  });
  ASSERT_TRUE(Eventually([&] { return slots.waiting() == 2; }));
  EXPECT_EQ(got.load(), 0) << "a request got a slot while none was free";
  alone.reset();
  waiter.join();
  behind.join();
  // `waiter` had `behind` in the queue when its turn came: one slot, inline.
  EXPECT_EQ(got.load(), 1);
  EXPECT_TRUE(ran_inline.load());
  EXPECT_EQ(slots.waiting(), 0);
}

// `cores` slots, all taken, then `requests` queued one after another; returns
// the order they were served in and the most that computed at once.
void Serve(int cores, int requests, std::vector<int>* served, int* most_at_once) {
  ComputeSlots slots(cores, /*pool_threads=*/1);
  std::atomic<int> computing{0};
  std::atomic<int> most{0};
  std::mutex order_mutex;
  std::vector<std::unique_ptr<ComputeSlots::Grant>> taken;
  for (int c = 0; c < cores; ++c) taken.push_back(slots.Acquire());  // the requests below queue
  std::vector<std::thread> threads;
  for (int i = 0; i < requests; ++i) {
    threads.emplace_back([&, i] {
      auto grant = slots.Acquire();
      {
        std::lock_guard<std::mutex> lock(order_mutex);
        served->push_back(i);
      }
      const int now = ++computing;
      int seen = most.load();
      while (now > seen && !most.compare_exchange_weak(seen, now)) {
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
      --computing;
    });
    // One at a time into the queue, so the arrival order is known.
    ASSERT_TRUE(Eventually([&] { return slots.waiting() == i + 1; }));
  }
  taken.clear();
  for (std::thread& t : threads) t.join();
  *most_at_once = most.load();
}

TEST(ComputeSlots, NoMoreRequestsComputeThanCores) {
  std::vector<int> served;
  int most = 0;
  Serve(/*cores=*/2, /*requests=*/12, &served, &most);
  EXPECT_EQ(served.size(), 12u);
  EXPECT_LE(most, 2);
  EXPECT_GE(most, 1);
}

TEST(ComputeSlots, RequestsAreServedInArrivalOrder) {
  // One slot, so each request's turn ends before the next one's begins.
  std::vector<int> served;
  int most = 0;
  Serve(/*cores=*/1, /*requests=*/10, &served, &most);
  EXPECT_EQ(most, 1);
  ASSERT_EQ(served.size(), 10u);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(served[i], i);
}

// Whether this machine lets a thread choose its CPU (a seccomp profile may refuse).
bool KernelAllowsPinning() {
  const std::vector<int> cpus = AllowedCpus();
  return !cpus.empty() && PinnedToCpu(cpus.front()).pinned();
}

TEST(CpuPinning, APinnedThreadRunsOnItsCpuAndGetsItsCpusBack) {
  const std::vector<int> before = AllowedCpus();
  ASSERT_FALSE(before.empty());
  if (!KernelAllowsPinning()) GTEST_SKIP() << "sched_setaffinity is refused here";
  {
    PinnedToCpu pin(before.back());
    ASSERT_TRUE(pin.pinned());
    EXPECT_EQ(AllowedCpus(), std::vector<int>{before.back()});
    EXPECT_EQ(sched_getcpu(), before.back());
  }
  EXPECT_EQ(AllowedCpus(), before);
}

TEST(ComputeSlots, WithOneSlotACpuRequestsComputingTogetherEachHaveTheirOwnCpu) {
  const std::vector<int> cpus = AllowedCpus();
  if (cpus.size() < 2) GTEST_SKIP() << "needs 2 CPUs; this process may run on " << cpus.size();
  if (!KernelAllowsPinning()) GTEST_SKIP() << "sched_setaffinity is refused here";
  const int n = static_cast<int>(cpus.size());
  ComputeSlots slots(n, /*pool_threads=*/1, /*pin_to_cpus=*/true);
  std::atomic<int> holding{0};
  std::atomic<bool> release{false};
  std::mutex mutex;
  std::set<int> used;
  std::vector<std::vector<int>> while_computing(n), after(n);
  std::vector<std::thread> threads;
  for (int i = 0; i < n; ++i) {
    threads.emplace_back([&, i] {
      {
        auto grant = slots.Acquire();
        while_computing[i] = AllowedCpus();
        {
          std::lock_guard<std::mutex> lock(mutex);
          used.insert(grant->cpu());
        }
        ++holding;
        while (!release) std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
      after[i] = AllowedCpus();
    });
  }
  ASSERT_TRUE(Eventually([&] { return holding == n; }));
  release = true;
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(used, std::set<int>(cpus.begin(), cpus.end())) << "two requests shared a CPU";
  for (int i = 0; i < n; ++i) {
    ASSERT_EQ(while_computing[i].size(), 1u) << "request " << i << " was not pinned";
    EXPECT_TRUE(used.count(while_computing[i][0]));
    EXPECT_EQ(after[i], cpus) << "request " << i << " kept its pin after its turn";
  }
}

TEST(ComputeSlots, NothingIsPinnedWithFewerSlotsThanCpusOrAlone) {
  const std::vector<int> cpus = AllowedCpus();
  const int n = static_cast<int>(cpus.size());
  {
    // Part of the machine (a container's share): the scheduler places them.
    ComputeSlots part(std::max(1, n - 1), /*pool_threads=*/1, /*pin_to_cpus=*/true);
    auto grant = part.Acquire();
    EXPECT_EQ(grant->cpu(), -1);
    EXPECT_EQ(AllowedCpus(), cpus);
  }
  {
    // A request alone takes the pool's share and computes on every core.
    ComputeSlots whole(n, /*pool_threads=*/n, /*pin_to_cpus=*/true);
    auto grant = whole.Acquire();
    EXPECT_EQ(grant->slots(), n);
    EXPECT_EQ(grant->cpu(), -1);
    EXPECT_EQ(AllowedCpus(), cpus);
  }
  {
    ComputeSlots off(n, /*pool_threads=*/1, /*pin_to_cpus=*/false);
    auto grant = off.Acquire();
    EXPECT_EQ(grant->cpu(), -1);
  }
}

}  // namespace
}  // namespace anomalens
