// A call's user data (T-Library UserData), as a pure function shared by
// routed and desktop-made calls.
#pragma once

#include "sipcc/v1/common.pb.h"

namespace sipcc {

// TAttachUserData / TUpdateUserData (the same here): add each key of
// `given`, or replace its value; TDeleteUserData (`remove`): remove the keys
// given, all of them when none is.
void change_user_data(v1::KVList& data, const v1::KVList& given, bool remove);

}  // namespace sipcc
