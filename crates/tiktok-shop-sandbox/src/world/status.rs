//! Order statuses (reference §7) and who cancels: the vocabulary the
//! lifecycle plans in and the API spells out.

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Status {
    Unpaid,
    OnHold,
    AwaitingShipment,
    PartiallyShipping,
    AwaitingCollection,
    InTransit,
    Delivered,
    Completed,
    Cancelled,
}

impl Status {
    pub(crate) const ALL: [Status; 9] = [
        Status::Unpaid,
        Status::OnHold,
        Status::AwaitingShipment,
        Status::PartiallyShipping,
        Status::AwaitingCollection,
        Status::InTransit,
        Status::Delivered,
        Status::Completed,
        Status::Cancelled,
    ];

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Status::Unpaid => "UNPAID",
            Status::OnHold => "ON_HOLD",
            Status::AwaitingShipment => "AWAITING_SHIPMENT",
            Status::PartiallyShipping => "PARTIALLY_SHIPPING",
            Status::AwaitingCollection => "AWAITING_COLLECTION",
            Status::InTransit => "IN_TRANSIT",
            Status::Delivered => "DELIVERED",
            Status::Completed => "COMPLETED",
            Status::Cancelled => "CANCELLED",
        }
    }

    pub(crate) fn parse(text: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

/// Who cancelled, as `cancellation_initiator` spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Initiator {
    Buyer,
    Seller,
    System,
}

impl Initiator {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Initiator::Buyer => "BUYER",
            Initiator::Seller => "SELLER",
            Initiator::System => "SYSTEM",
        }
    }
}

#[test]
fn statuses_parse_as_the_api_spells_them() {
    for status in Status::ALL {
        assert_eq!(Status::parse(status.as_str()), Some(status));
    }
    assert_eq!(Status::parse("ON_HOLD"), Some(Status::OnHold));
    assert_eq!(Status::parse("on_hold"), None);
}
