#include "src/scheduler/proto_update_mask.h"

#include <array>
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "src/scheduler/update_mask_rules.h"

namespace schedsvc::scheduler {
namespace {

namespace v1 = ::google::cloud::scheduler::v1;
using ::google::protobuf::FieldDescriptor;
using ::google::protobuf::Message;
using ::google::protobuf::Reflection;

using Segments = std::vector<std::string>;

// The merged job in parts, so that it can hold both members of a oneof as a job's JSON can (the target;
// httpTarget's authorization header): part i holds only the subtree at kPartRoots[i] without the deeper
// parts' subtrees; the last part (root "") holds all the rest.
constexpr std::array<absl::string_view, 3> kPartRoots = {"httpTarget.oidcToken", "httpTarget", ""};
constexpr size_t kOidcPart = 0;
constexpr size_t kHttpPart = 1;
constexpr size_t kRestPart = 2;
using MergedJob = std::array<v1::Job, kPartRoots.size()>;

// True when `path` is `root` or lies under it ("" is the root of everything).
bool Under(absl::string_view path, absl::string_view root) {
  if (root.empty() || path == root) return true;
  return absl::StartsWith(path, root) && path.size() > root.size() && path[root.size()] == '.';
}

// The part `path` lives in.
size_t PartOf(absl::string_view path) {
  for (size_t i = 0; i < kPartRoots.size(); ++i) {
    if (Under(path, kPartRoots[i])) return i;
  }
  return kRestPart;
}

// True when protobuf's JSON printer writes `field` of `message`.
bool Present(const Message& message, const FieldDescriptor* field) {
  const Reflection* reflection = message.GetReflection();
  return field->is_repeated() ? reflection->FieldSize(message, field) > 0 : reflection->HasField(message, field);
}

// The message holding the last segment and its field, or {nullptr, nullptr} when a segment is absent
// (or unknown) in `root`.
std::pair<const Message*, const FieldDescriptor*> Lookup(const Message& root,
                                                         const Segments& segments) {
  const Message* node = &root;
  for (size_t i = 0; i < segments.size(); ++i) {
    const FieldDescriptor* field = node->GetDescriptor()->FindFieldByCamelcaseName(segments[i]);
    if (field == nullptr || !Present(*node, field)) return {nullptr, nullptr};
    if (i + 1 == segments.size()) return {node, field};
    if (field->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE || field->is_repeated()) return {nullptr, nullptr};
    node = &node->GetReflection()->GetMessage(*node, field);
  }
  return {nullptr, nullptr};
}

void Erase(Message& root, const Segments& segments) {
  Message* node = &root;
  for (size_t i = 0; i < segments.size(); ++i) {
    const FieldDescriptor* field = node->GetDescriptor()->FindFieldByCamelcaseName(segments[i]);
    if (field == nullptr) return;
    if (i + 1 == segments.size()) {
      node->GetReflection()->ClearField(node, field);
      return;
    }
    if (field->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE || field->is_repeated() ||
        !node->GetReflection()->HasField(*node, field)) {
      return;
    }
    node = node->GetReflection()->MutableMessage(node, field);
  }
}

// Replaces the field at `segments` in `root` (creating its parents) with `field` of `source`.
absl::Status Set(Message& root, const Segments& segments, const Message& source,
                 const FieldDescriptor* field) {
  Message* node = &root;
  for (size_t i = 0; i + 1 < segments.size(); ++i) {
    const FieldDescriptor* parent = node->GetDescriptor()->FindFieldByCamelcaseName(segments[i]);
    if (parent == nullptr || parent->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE || parent->is_repeated()) {
      return absl::InternalError(absl::StrCat("update mask path segment \"", segments[i], "\" is not a message"));
    }
    node = node->GetReflection()->MutableMessage(node, parent);
  }
  const Reflection* from = source.GetReflection();
  const Reflection* to = node->GetReflection();
  to->ClearField(node, field);
  if (field->is_repeated()) {
    if (field->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) {
      return absl::InternalError(absl::StrCat("update mask field \"", field->name(), "\" has no copy rule"));
    }
    for (int i = 0; i < from->FieldSize(source, field); ++i) {
      to->AddMessage(node, field)->CopyFrom(from->GetRepeatedMessage(source, field, i));
    }
    return absl::OkStatus();
  }
  switch (field->cpp_type()) {
    case FieldDescriptor::CPPTYPE_MESSAGE:
      to->MutableMessage(node, field)->CopyFrom(from->GetMessage(source, field));
      return absl::OkStatus();
    case FieldDescriptor::CPPTYPE_STRING:
      to->SetString(node, field, from->GetString(source, field));
      return absl::OkStatus();
    case FieldDescriptor::CPPTYPE_INT32:
      to->SetInt32(node, field, from->GetInt32(source, field));
      return absl::OkStatus();
    case FieldDescriptor::CPPTYPE_ENUM:
      to->SetEnumValue(node, field, from->GetEnumValue(source, field));
      return absl::OkStatus();
    default:
      return absl::InternalError(absl::StrCat("update mask field \"", field->name(), "\" has no copy rule"));
  }
}

// Clears `path` in the merged job: in its own part and in every deeper part under it.
void EraseAll(MergedJob& merged, const std::string& path) {
  const Segments segments = absl::StrSplit(path, '.');
  for (size_t i = 0; i < kPartRoots.size(); ++i) {
    if (i == PartOf(path) || (kPartRoots[i] != path && Under(kPartRoots[i], path))) Erase(merged[i], segments);
  }
}

// Replaces `path` in the merged job with the patch's field when the patch has it, else clears it; a deeper
// part under `path` takes its subtree of the patch's field.
absl::Status Apply(MergedJob& merged, const std::string& path, const v1::Job& patch) {
  EraseAll(merged, path);
  const Segments segments = absl::StrSplit(path, '.');
  auto [source, field] = Lookup(patch, segments);
  if (source == nullptr) return absl::OkStatus();
  const size_t own = PartOf(path);
  if (absl::Status s = Set(merged[own], segments, *source, field); !s.ok()) return s;
  for (size_t i = 0; i < own; ++i) {
    if (kPartRoots[i] == path || !Under(kPartRoots[i], path)) continue;
    const Segments root = absl::StrSplit(kPartRoots[i], '.');
    Erase(merged[own], root);
    auto [deeper_source, deeper_field] = Lookup(patch, root);
    if (deeper_source == nullptr) continue;
    if (absl::Status s = Set(merged[i], root, *deeper_source, deeper_field); !s.ok()) return s;
  }
  return absl::OkStatus();
}

// Splits `job` into the parts of a MergedJob, deepest part first (so a shallower part's copy no longer
// holds it).
absl::StatusOr<MergedJob> Split(const v1::Job& job) {
  MergedJob merged;
  merged[kRestPart] = job;
  for (size_t i = 0; i < kRestPart; ++i) {
    const Segments root = absl::StrSplit(kPartRoots[i], '.');
    auto [source, field] = Lookup(merged[kRestPart], root);
    if (source == nullptr) continue;
    if (absl::Status s = Set(merged[i], root, *source, field); !s.ok()) return s;
    Erase(merged[kRestPart], root);
  }
  return merged;
}

// The request the parts make together: a second member of a oneof goes beside the job (JobRequest).
absl::StatusOr<JobRequest> Join(MergedJob& merged) {
  JobRequest request;
  if (absl::Status s = CheckJobProto(merged[kRestPart]); !s.ok()) return s;
  request.job = std::move(merged[kRestPart]);
  const bool http = merged[kHttpPart].has_http_target();
  const bool oidc = merged[kOidcPart].has_http_target();
  if (http || oidc) {
    Job& part = merged[http ? kHttpPart : kOidcPart];
    if (absl::Status s = CheckJobProto(part); !s.ok()) return s;
    v1::HttpTarget target = std::move(*part.mutable_http_target());
    if (http && oidc && merged[kOidcPart].http_target().has_oidc_token()) {
      if (absl::Status s = CheckJobProto(merged[kOidcPart]); !s.ok()) return s;
      v1::OidcToken token = std::move(*merged[kOidcPart].mutable_http_target()->mutable_oidc_token());
      if (target.has_oauth_token()) {
        request.second_oidc_token = std::move(token);
      } else {
        *target.mutable_oidc_token() = std::move(token);
      }
    }
    if (target.http_method() == v1::HTTP_METHOD_UNSPECIFIED) target.set_http_method(v1::POST);
    if (request.job.has_pubsub_target()) {
      request.second_http_target = std::move(target);
    } else {
      *request.job.mutable_http_target() = std::move(target);
    }
  }
  FillJobDefaults(request.job);
  return request;
}

}  // namespace

absl::StatusOr<JobRequest> ApplyUpdateMaskToProto(const Job& current, const v1::Job& patch,
                                                  const std::vector<std::string>& paths) {
  if (absl::Status s = CheckJobJsonForm(patch); !s.ok()) return s;
  absl::StatusOr<MergedJob> merged = Split(current);
  if (!merged.ok()) return merged.status();
  if (paths.empty()) {
    for (absl::string_view field : TopLevelMutableFields()) {
      const std::string path(field);
      if (Lookup(patch, {path}).first == nullptr) continue;
      if (absl::Status s = Apply(*merged, path, patch); !s.ok()) return s;
      if (absl::string_view other = OtherTarget(field); !other.empty()) EraseAll(*merged, std::string(other));
    }
  } else {
    if (absl::Status s = CheckUpdatePaths(paths); !s.ok()) return s;
    for (const std::string& path : paths) {
      if (absl::Status s = Apply(*merged, path, patch); !s.ok()) return s;
    }
  }
  return Join(*merged);
}

}  // namespace schedsvc::scheduler
