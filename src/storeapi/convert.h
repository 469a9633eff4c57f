// Conversions between Strata's types and the generated StoreAPI messages. Internal to
// src/storeapi: only this library includes generated (protobuf) headers.
#pragma once

#include "base/labels.h"
#include "base/matcher.h"
#include "base/status.h"
#include "store/labelpb/types.pb.h"
#include "store/storepb/rpc.pb.h"
#include "store/storepb/types.pb.h"

namespace strata::storeapi {

Result<Matchers> FromProto(const google::protobuf::RepeatedPtrField<thanos::LabelMatcher>& ms);
void ToProto(const Matchers& ms, google::protobuf::RepeatedPtrField<thanos::LabelMatcher>* out);
Labels FromProto(const google::protobuf::RepeatedPtrField<thanos::Label>& ls);
void ToProto(const Labels& ls, google::protobuf::RepeatedPtrField<thanos::Label>* out);
ShardInfo ShardFromProto(const thanos::ShardInfo& s);
void ToProto(const ShardInfo& s, thanos::ShardInfo* out);

}  // namespace strata::storeapi
