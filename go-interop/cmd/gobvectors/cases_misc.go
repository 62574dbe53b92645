package main

// Checklist I (net/rpc headers) and dispatcher-shaped payloads.

import "time"

func init() {
	add(&Case{
		Name: "rpc_client_stream", Checklist: []int{114},
		Desc: "spec §6 client side: Request{\"Arith.Multiply\", Seq 0} (Seq omitted), Args{7, 8}, Request{\"Arith.Multiply\", 1}, Args{2, 3}: Request = 64 (ServiceMethod 6, Seq 3), Args = 65; exactly the bytes of the spec's example",
		Values: vals(
			Request{ServiceMethod: "Arith.Multiply", Seq: 0}, Args{7, 8},
			Request{ServiceMethod: "Arith.Multiply", Seq: 1}, Args{2, 3},
		),
	})
	add(&Case{
		Name: "rpc_server_stream", Checklist: []int{114},
		Desc: "spec §6 server side in its own process: Response{\"Arith.Multiply\", 0, \"\"} then the reply int 56 (a singleton, 04 00 70), Response{\"Arith.Divide\", 1, \"divide by zero\"} then the error body struct{}{} (an unnamed empty struct definition and its value)",
		Values: func() []any {
			reply := 56
			return []any{
				Response{ServiceMethod: "Arith.Multiply"}, &reply,
				Response{ServiceMethod: "Arith.Divide", Seq: 1, Error: "divide by zero"}, struct{}{},
			}
		},
	})
	add(&Case{
		Name: "dispatcher_input_only", Checklist: []int{71},
		Desc:   "tilores dispatcher call args without a deadline: map[string]interface{}{\"input\": &EntityInput{ID: \"e-1\"}} (registered as \"*main.EntityInput\"; the real API registers \"*dispatcher.EntityInput\"); one entry, so exact",
		Values: vals(map[string]interface{}{"input": &EntityInput{ID: "e-1"}}),
	})
	add(&Case{
		Name: "dispatcher_entity_call", Checklist: []int{71, 91},
		Desc: "tilores dispatcher call args: map[string]interface{}{\"input\": &EntityInput{ID: \"e-1\"}, \"deadline\": 2024-05-06 07:08:09.123 +02:00} (time.Time inside an interface must be registered: name \"time.Time\")",
		Values: vals(map[string]interface{}{
			"input":    &EntityInput{ID: "e-1"},
			"deadline": time.Date(2024, 5, 6, 7, 8, 9, 123000000, time.FixedZone("", 2*3600)),
		}),
	})
	add(&Case{
		Name: "dispatcher_submit_call", Checklist: []int{71},
		Desc: "tilores Submit args: {\"input\": &SubmitInput{Records: [{ID: \"r1\", Data: {string, int, int64, float64, bool, nil, nested map[string]interface{}, []interface{} with nil/int64/float64/string, time.Time UTC}}, {ID: \"r2\", Data: nil}]}, \"deadline\": time.Time UTC}",
		Values: vals(map[string]interface{}{
			"input": &SubmitInput{Records: []*Record{
				{ID: "r1", Data: map[string]interface{}{
					"name":    "Ann",
					"age":     42,
					"big":     int64(1 << 40),
					"score":   0.5,
					"active":  true,
					"nothing": nil,
					"address": map[string]interface{}{"city": "Berlin", "zip": "10115", "geo": []interface{}{52.52, 13.405}},
					"tags":    []interface{}{"a", int64(7), nil, 1.5, false},
					"born":    time.Date(1990, 1, 2, 3, 4, 5, 0, time.UTC),
				}},
				{ID: "r2"},
			}},
			"deadline": time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC),
		}),
	})
}
