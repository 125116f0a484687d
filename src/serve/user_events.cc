#include "serve/user_events.h"

#include <mutex>

namespace hybridrec::serve {

void UserEvents::Add(const std::string& user, const UserEvent& e) {
  Shard& s = ShardOf(user);
  std::unique_lock lock(s.mu);
  auto [it, inserted] = s.map.try_emplace(user);
  it->second.push_back(e);
  if (inserted) users_.fetch_add(1, std::memory_order_relaxed);
  events_.fetch_add(1, std::memory_order_relaxed);
}

std::vector<UserEvent> UserEvents::Get(std::string_view user) const {
  const Shard& s = ShardOf(user);
  std::shared_lock lock(s.mu);
  const auto it = s.map.find(user);
  return it == s.map.end() ? std::vector<UserEvent>() : it->second;
}

bool UserEvents::Contains(std::string_view user) const {
  const Shard& s = ShardOf(user);
  std::shared_lock lock(s.mu);
  return s.map.find(user) != s.map.end();
}

}  // namespace hybridrec::serve
